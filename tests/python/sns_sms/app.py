import boto3

sns = boto3.client("sns")


def handler(event, context):
    # An SMS straight to a phone number: no topic, authorised on "*".
    sns.publish(PhoneNumber=event["phone"], Message="Your code is 1234")
