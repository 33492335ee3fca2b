"""The client's address behind TRUSTED_PROXY_COUNT proxies (common/client_ip.py)."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from common.client_ip import client_ip

BALANCER = "10.0.0.5"


def _request(forwarded: str | None = None, remote: str = BALANCER):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_with_no_trusted_proxy_the_header_is_ignored(settings):
    settings.TRUSTED_PROXY_COUNT = 0

    assert client_ip(_request("203.0.113.9")) == BALANCER


def test_behind_one_proxy_the_address_it_appended_is_the_client(settings):
    settings.TRUSTED_PROXY_COUNT = 1

    assert client_ip(_request("198.51.100.1, 203.0.113.9")) == "203.0.113.9"


def test_behind_two_proxies_the_second_entry_from_the_right_is_the_client(settings):
    settings.TRUSTED_PROXY_COUNT = 2

    assert client_ip(_request("1.2.3.4, 203.0.113.9, 10.0.0.9")) == "203.0.113.9"


@pytest.mark.parametrize("forwarded", [None, "", "not-an-address", "203.0.113.9"])
def test_a_missing_short_or_garbled_header_falls_back_to_the_peer(settings, forwarded):
    settings.TRUSTED_PROXY_COUNT = 2 if forwarded == "203.0.113.9" else 1

    assert client_ip(_request(forwarded)) == BALANCER


def test_ipv6_clients_are_read_too(settings):
    settings.TRUSTED_PROXY_COUNT = 1

    assert client_ip(_request("2001:db8::1")) == "2001:db8::1"


@pytest.mark.parametrize(
    "forwarded, client",
    [("203.0.113.9:51234", "203.0.113.9"), ("[2001:db8::1]:443", "2001:db8::1")],
)
def test_a_port_the_balancer_appended_is_left_off(settings, forwarded, client):
    settings.TRUSTED_PROXY_COUNT = 1

    assert client_ip(_request(forwarded)) == client
