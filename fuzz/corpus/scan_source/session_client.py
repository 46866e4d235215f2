import boto3.session

session = boto3.session.Session()
ssm = session.client("ssm")


def handler(event, context):
    return ssm.get_parameter(Name="/app/token", WithDecryption=True)
