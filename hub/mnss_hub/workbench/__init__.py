"""The portal's research and engineering pages (科研 / 工程): the experiment catalogue with a picture
of each bundled topology, the component library, and opening an uploaded topology file in the lab.

`catalogue` decides what the research page shows (pure), `picture` draws a topology as SVG,
`uploads` checks an uploaded file and keeps it until the learner's server collects it,
`handlers` serves the pages.
"""
