"""Browsers ask for /favicon.ico on every page: they get the portal's icon, not a 404."""

from __future__ import annotations


def test_the_favicon_is_served_at_the_sites_root(client, db):
    response = client.get("/favicon.ico")

    assert response.status_code == 200
    assert response["Content-Type"] in {"image/x-icon", "image/vnd.microsoft.icon"}
    assert b"".join(response.streaming_content).startswith(b"\x00\x00\x01\x00")


def test_every_page_names_its_icon(client, db):
    response = client.get("/accounts/sign-in/")

    assert '<link rel="icon" href="/static/root/favicon.ico"' in response.text
