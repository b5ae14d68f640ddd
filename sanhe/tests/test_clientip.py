"""The client's address and the key limits count it by (sanhe/lib/clientip.py)."""

import ast
import pathlib

import pytest

from sanhe.lib.clientip import address_key, client_ip, client_key

LIB = pathlib.Path(__file__).resolve().parents[1] / "lib"
APPS = {"cases", "teams", "villages", "reports"}


@pytest.mark.parametrize(
    ("ip", "key"),
    [
        ("203.0.113.5", "203.0.113.5"),
        ("2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::/64"),
        ("2001:db8:1:2::1", "2001:db8:1:2::/64"),
        ("2001:DB8:1:2:0:0:0:ffff", "2001:db8:1:2::/64"),
        ("2001:db8:1:3::1", "2001:db8:1:3::/64"),
        ("::ffff:203.0.113.5", "203.0.113.5"),
        ("::1", "::/64"),
        ("unknown", "unknown"),
        ("", ""),
        ("203.0.113.5/24", "203.0.113.5/24"),
        ("fe80::1%eth0", "fe80::/64"),
    ],
)
def test_address_key(ip, key):
    assert address_key(ip) == key


def test_client_ip_is_the_remote_address_unless_a_proxy_header_is_configured(rf, settings):
    request = rf.get("/", REMOTE_ADDR="10.0.0.9", HTTP_X_REAL_IP="203.0.113.5")
    settings.CLIENT_IP_HEADER = ""
    assert client_ip(request) == "10.0.0.9"
    settings.CLIENT_IP_HEADER = "HTTP_X_REAL_IP"
    assert client_ip(request) == "203.0.113.5"


def test_client_key_writes_an_ipv6_network_as_an_address(rf, settings):
    """django-axes stores it in a GenericIPAddressField: "/64" would not be an address."""
    settings.CLIENT_IP_HEADER = ""
    assert client_key(rf.get("/", REMOTE_ADDR="2001:db8:1:2:aaaa::1")) == "2001:db8:1:2::"
    assert client_key(rf.get("/", REMOTE_ADDR="::ffff:10.0.0.9")) == "10.0.0.9"
    assert client_key(rf.get("/", REMOTE_ADDR="10.0.0.9")) == "10.0.0.9"


def test_sanhe_lib_imports_no_app():
    """The floors: sanhe/lib holds plain helpers any app may import, so it imports none."""
    found = []
    for path in LIB.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            found += [f"{path.name}: {name}" for name in names if name.split(".")[0] in APPS]
    assert found == []


def test_teams_imports_neither_cases_nor_villages_for_the_address():
    teams = pathlib.Path(__file__).resolve().parents[2] / "teams" / "security.py"
    assert "villages" not in teams.read_text() and "from cases" not in teams.read_text()
