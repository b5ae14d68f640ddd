"""The client's address, and the key a limit counts it by.

sanhe/lib: plain helpers, importing no app, so that villages (/track/'s limits), teams (the login
throttle, the security log) and cases (the PIPL access log) share one rule.
"""

import ipaddress

from django.conf import settings
from django.http import HttpRequest

# One household, office or phone gets a whole IPv6 /64 (RFC 6177 and every carrier): a limit by
# exact address would let its holder take a fresh address for each try.
IPV6_PREFIX = 64


def client_ip(request: HttpRequest) -> str:
    """The client's address. Behind a reverse proxy every client shares the proxy's REMOTE_ADDR:
    settings.CLIENT_IP_HEADER names the header the proxy sets (e.g. "HTTP_X_REAL_IP")."""
    header = getattr(settings, "CLIENT_IP_HEADER", "")
    forwarded = request.META.get(header, "") if header else ""
    return forwarded.split(",")[-1].strip() or request.META.get("REMOTE_ADDR") or "unknown"


def address_key(ip: str) -> str:
    """What a limit counts IP by: an IPv6 address's /64 network ("2001:db8:1:2::/64"), an
    IPv4-mapped IPv6 address's IPv4, an IPv4 address as it is; anything else unchanged.
    Logs keep the full address: they record, they do not limit."""
    try:
        address = ipaddress.ip_address(ip.strip())
    except ValueError:
        return ip
    if address.version == 4:
        return str(address)
    if address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    return str(ipaddress.ip_network(f"{address}/{IPV6_PREFIX}", strict=False))


def client_key(request: HttpRequest) -> str:
    """address_key() of the client, written as an address (an IPv6 /64's first address,
    "2001:db8:1:2::"): django-axes stores it in a GenericIPAddressField (PostgreSQL inet, 39
    characters elsewhere), where "/64" would not fit its validation."""
    return address_key(client_ip(request)).removesuffix(f"/{IPV6_PREFIX}")
