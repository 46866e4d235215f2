import os

import boto3

rds = boto3.client("rds-data")
CLUSTER = "arn:aws:rds:us-east-1:123456789012:cluster:orders-db"


def handler(event, context):
    secret = os.environ["DB_SECRET_ARN"]
    tx = rds.begin_transaction(resourceArn=CLUSTER, secretArn=secret)
    rds.execute_statement(
        resourceArn=CLUSTER,
        secretArn=secret,
        sql="INSERT INTO orders VALUES (:id)",
        transactionId=tx["transactionId"],
    )
    rds.commit_transaction(resourceArn=CLUSTER, secretArn=secret, transactionId=tx["transactionId"])
