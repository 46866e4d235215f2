import boto3

SQS = boto3.client("sqs")
