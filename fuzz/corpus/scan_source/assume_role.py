import boto3

sts = boto3.client("sts")


def handler(event, context):
    creds = sts.assume_role(RoleArn="arn:aws:iam::111122223333:role/Reader", RoleSessionName="x")["Credentials"]
    other = boto3.client(
        "s3",
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )
    other.list_buckets()
    sts.get_caller_identity()
