"""`mnss-hub sso link|unlink|list`: the administrator's side of institutional sign-in links."""

from __future__ import annotations

from .account_site import open_accounts, open_links
from .sso_links import LinkError, normalise_username


def _issuer(args, site: dict) -> str:
    issuer = args.issuer or site["auth"]["oidc"]["issuer"]
    if not issuer:
        raise LinkError("no issuer: pass --issuer, or set auth.oidc.issuer in the site config")
    return issuer


def cmd_link(args, site: dict) -> int:
    name = normalise_username(args.username)
    if not open_accounts(site).exists(name):
        raise LinkError(f"no account {name!r}: create it first (mnss-hub add-user, or an invitation)")
    link = open_links(site).link(_issuer(args, site), args.sub, name, how="admin")
    print(f"Linked subject {link.subject!r} of {link.issuer} to account '{link.username}'.")
    return 0


def cmd_unlink(args, site: dict) -> int:
    issuer = _issuer(args, site)
    open_links(site).unlink(issuer, args.sub)
    print(f"Unlinked subject {args.sub!r} of {issuer}.")
    return 0


def cmd_list(args, site: dict) -> int:
    for link in open_links(site).all():
        print(f"{link.username}\t{link.issuer}\t{link.subject}\t{link.how}\t{link.created_at}")
    return 0


def register(sub) -> None:
    """Add the `sso` command group to the `mnss-hub` subparsers; each command gets (args, site)."""
    sso = sub.add_parser("sso", help="link institutional (OpenID Connect) identities to accounts")
    commands = sso.add_subparsers(dest="sso_command", required=True)
    link = commands.add_parser("link", help="let an identity (issuer + sub) log in as an existing account")
    link.add_argument("username")
    unlink = commands.add_parser("unlink", help="remove an identity's link")
    for parser in (link, unlink):
        parser.add_argument("--sub", required=True, help="the provider's subject identifier (the 'sub' claim)")
        parser.add_argument("--issuer", help="the provider's issuer URL (default: auth.oidc.issuer)")
    link.set_defaults(sso_func=cmd_link)
    unlink.set_defaults(sso_func=cmd_unlink)
    commands.add_parser("list", help="list the links (username, issuer, sub, how, when)").set_defaults(
        sso_func=cmd_list
    )
