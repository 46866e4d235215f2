import boto3


def make_client(service_name, **kwargs):
    return boto3.client(service_name, **kwargs)
