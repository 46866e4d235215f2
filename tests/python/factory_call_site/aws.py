"""Factories shared by two handlers: each call site names what it wants."""
import boto3

_session = boto3.session.Session()


def make_client(name, region=None):
    """A client for `name`."""
    return _session.client(name, region_name=region)


def table(name):
    resource = boto3.resource("dynamodb")
    return resource.Table(name)


def forever(name):
    # Calls itself: evaluated once at the call site, then its summary.
    return forever(name) or boto3.client(name)
