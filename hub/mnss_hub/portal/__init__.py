"""The portal (门户): the hub pages a learner meets after login.

`catalog` decides what the pages show (pure), `progress` reads the exchange's records,
`groups` changes course membership through the hub API, `handlers` serves the pages.
"""

SETTINGS = "mnss_portal"  # key of the portal's settings in the hub's tornado_settings
