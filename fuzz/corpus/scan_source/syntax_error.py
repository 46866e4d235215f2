import boto3

sns = boto3.client("sns")


def handler(event, context):
    sns.publish(TopicArn="arn:aws:sns:us-east-1:123456789012:t", Message="m")

<<<<<<< HEAD
def broken(:
=======
def other():
>>>>>>> branch
    pass
