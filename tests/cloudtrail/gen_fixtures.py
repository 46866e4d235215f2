# Writes the CloudTrail fixtures in this directory: python3 gen_fixtures.py (from anywhere).
import json, gzip, os, io
base = os.path.dirname(os.path.abspath(__file__))
ACCT = "111122223333"
W = f"arn:aws:iam::{ACCT}:role/service-role/orders-worker"
R = f"arn:aws:iam::{ACCT}:role/reporting"
def ident(role_arn, name, session, issuer=True):
    u = {"type": "AssumedRole", "principalId": "AROAEXAMPLE:" + session,
         "arn": f"arn:aws:sts::{ACCT}:assumed-role/{name}/{session}", "accountId": ACCT,
         "accessKeyId": "ASIAEXAMPLE"}
    if issuer:
        u["sessionContext"] = {"sessionIssuer": {"type": "Role", "principalId": "AROAEXAMPLE", "arn": role_arn,
                               "accountId": ACCT, "userName": name},
                               "attributes": {"creationDate": "2024-05-01T11:00:00Z", "mfaAuthenticated": "false"}}
    return u
n = [0]
def rec(t, src, name, who, params=None, resources=None, error=None, region="eu-west-1", extra=None):
    n[0] += 1
    r = {"eventVersion": "1.09", "userIdentity": who, "eventTime": t, "eventSource": src, "eventName": name,
         "awsRegion": region, "sourceIPAddress": "203.0.113.7", "userAgent": "Boto3/1.34.0 md/Botocore#1.34.0",
         "requestParameters": params, "responseElements": None,
         "requestID": f"req-{n[0]:04d}", "eventID": f"00000000-0000-0000-0000-{n[0]:012d}",
         "readOnly": True, "eventType": "AwsApiCall", "managementEvent": True, "recipientAccountId": ACCT,
         "eventCategory": "Management"}
    if resources is not None: r["resources"] = resources
    if error:
        r["errorCode"] = error; r["errorMessage"] = "User: ... is not authorized to perform this operation"
    if extra: r.update(extra)
    return r
w = ident(W, "orders-worker", "orders-fn")
w_noissuer = ident(W, "orders-worker", "orders-fn", issuer=False)
rp = ident(R, "reporting", "report-fn")
day1 = [
  rec("2024-05-01T12:00:01Z", "s3.amazonaws.com", "ListObjectsV2", w,
      {"bucketName": "orders-bucket", "list-type": "2", "prefix": "in/", "Host": "orders-bucket.s3.eu-west-1.amazonaws.com"},
      [{"type": "AWS::S3::Bucket", "ARN": "arn:aws:s3:::orders-bucket"}], extra={"managementEvent": False, "eventCategory": "Data"}),
  rec("2024-05-01T12:00:02Z", "s3.amazonaws.com", "GetObject", w,
      {"bucketName": "orders-bucket", "key": "in/2024/05/a.json", "Host": "orders-bucket.s3.eu-west-1.amazonaws.com"},
      [{"type": "AWS::S3::Object", "ARN": "arn:aws:s3:::orders-bucket/in/2024/05/a.json"},
       {"accountId": ACCT, "type": "AWS::S3::Bucket", "ARN": "arn:aws:s3:::orders-bucket"}], extra={"managementEvent": False, "eventCategory": "Data"}),
  rec("2024-05-01T12:00:03Z", "s3.amazonaws.com", "GetObject", w,
      {"bucketName": "orders-bucket", "key": "in/2024/05/b.json"},
      [{"type": "AWS::S3::Object", "ARN": "arn:aws:s3:::orders-bucket/in/2024/05/b.json"},
       {"accountId": ACCT, "type": "AWS::S3::Bucket", "ARN": "arn:aws:s3:::orders-bucket"}], extra={"managementEvent": False, "eventCategory": "Data"}),
  rec("2024-05-01T12:00:04Z", "monitoring.amazonaws.com", "PutMetricData", w, {"namespace": "Orders"}),
  rec("2024-05-01T12:00:05Z", "states.amazonaws.com", "StartExecution", w,
      {"stateMachineArn": f"arn:aws:states:eu-west-1:{ACCT}:stateMachine:fulfil", "name": "run-1"}),
  rec("2024-05-01T12:00:06Z", "lambda.amazonaws.com", "Invoke20150331", w,
      {"functionName": "notify", "invocationType": "Event"}, extra={"managementEvent": False, "eventCategory": "Data"}),
  rec("2024-05-01T12:00:07Z", "kms.amazonaws.com", "ReEncrypt", w,
      {"sourceKeyId": f"arn:aws:kms:eu-west-1:{ACCT}:key/1111aaaa-0000-0000-0000-000000000001",
       "destinationKeyId": f"arn:aws:kms:eu-west-1:{ACCT}:key/2222bbbb-0000-0000-0000-000000000002",
       "sourceEncryptionAlgorithm": "SYMMETRIC_DEFAULT", "destinationEncryptionAlgorithm": "SYMMETRIC_DEFAULT"},
      [{"accountId": ACCT, "type": "AWS::KMS::Key", "ARN": f"arn:aws:kms:eu-west-1:{ACCT}:key/1111aaaa-0000-0000-0000-000000000001"},
       {"accountId": ACCT, "type": "AWS::KMS::Key", "ARN": f"arn:aws:kms:eu-west-1:{ACCT}:key/2222bbbb-0000-0000-0000-000000000002"}]),
  rec("2024-05-01T12:00:08Z", "kms.amazonaws.com", "Decrypt", w,
      {"encryptionAlgorithm": "SYMMETRIC_DEFAULT"},
      [{"accountId": ACCT, "type": "AWS::KMS::Key", "ARN": f"arn:aws:kms:eu-west-1:{ACCT}:key/3333cccc-0000-0000-0000-000000000003"}],
      error="AccessDenied"),
  rec("2024-05-01T12:00:09Z", "sts.amazonaws.com", "GetCallerIdentity", w, None),
  # the other role: none of this may appear
  rec("2024-05-01T12:00:10Z", "s3.amazonaws.com", "DeleteBucket", rp, {"bucketName": "reports"},
      [{"type": "AWS::S3::Bucket", "ARN": "arn:aws:s3:::reports"}]),
  rec("2024-05-01T12:00:11Z", "dynamodb.amazonaws.com", "DescribeTable", rp, {"tableName": "reports"}),
]
day2 = [
  rec("2024-05-02T08:00:00Z", "ssm.amazonaws.com", "GetParameter", w, {"name": "/orders/config", "withDecryption": True}),
  rec("2024-05-02T08:00:01Z", "dynamodb.amazonaws.com", "DescribeTable", w, {"tableName": "orders"},
      error="ResourceNotFoundException"),
  rec("2024-05-02T08:00:02Z", "sqs.amazonaws.com", "SendMessage", w_noissuer,
      {"queueUrl": f"https://sqs.eu-west-1.amazonaws.com/{ACCT}/orders-out", "messageBody": "HIDDEN_DUE_TO_SECURITY_REASONS"},
      extra={"managementEvent": False, "eventCategory": "Data"}),
  rec("2024-05-02T08:00:03Z", "made-up.amazonaws.com", "DoSomething", w, None),
  rec("2024-05-02T08:00:04Z", "monitoring.amazonaws.com", "PutMetricData", w, {"namespace": "Orders"}),
  rec("2024-05-02T08:00:05Z", "iam.amazonaws.com", "ListRoles", rp, None),
  rec("2023-01-01T00:00:00Z", "s3.amazonaws.com", "PutBucketPolicy", w, {"bucketName": "orders-bucket"},
      [{"type": "AWS::S3::Bucket", "ARN": "arn:aws:s3:::orders-bucket"}]),
]
org = [
  rec("2024-05-03T09:30:00Z", "email.amazonaws.com", "SendEmail", w,
      {"source": "orders@example.com", "destination": {"toAddresses": ["HIDDEN_DUE_TO_SECURITY_REASONS"]}}, region="us-east-1"),
  rec("2024-05-03T09:30:01Z", "dynamodb.amazonaws.com", "DescribeTable", w, {"tableName": "orders"}, region="us-east-1"),
  rec("2024-05-03T09:30:02Z", "dynamodb.amazonaws.com", "Query", w, {"tableName": "orders", "indexName": "by-customer"},
      region="us-east-1", extra={"managementEvent": False, "eventCategory": "Data"}),
]
def write(path, records, gz):
    full = os.path.join(base, path)
    os.makedirs(os.path.dirname(full), exist_ok=True)
    data = json.dumps({"Records": records}, separators=(",", ":")).encode()
    if gz:
        with open(full, "wb") as f:
            f.write(gzip.compress(data, mtime=0))
    else:
        with open(full, "wb") as f:
            f.write(json.dumps({"Records": records}, indent=1).encode() + b"\n")
logs = "trail/AWSLogs"
write(f"{logs}/{ACCT}/CloudTrail/eu-west-1/2024/05/01/{ACCT}_CloudTrail_eu-west-1_20240501T1205Z_h8Vx2mQk.json.gz", day1, True)
write(f"{logs}/{ACCT}/CloudTrail/eu-west-1/2024/05/02/{ACCT}_CloudTrail_eu-west-1_20240502T0805Z_Q0pLs9Ze.json", day2, False)
write(f"{logs}/o-a1b2c3d4e5/{ACCT}/CloudTrail/us-east-1/2024/05/03/{ACCT}_CloudTrail_us-east-1_20240503T0935Z_Zr4kP1aa.json.gz", org, True)
# digest files share the tree and must be skipped
dig = os.path.join(base, f"{logs}/{ACCT}/CloudTrail-Digest/eu-west-1/2024/05/01/{ACCT}_CloudTrail-Digest_eu-west-1_x_20240501T1300Z.json.gz")
os.makedirs(os.path.dirname(dig), exist_ok=True)
open(dig, "wb").write(gzip.compress(json.dumps({"awsAccountId": ACCT, "digestStartTime": "2024-05-01T12:00:00Z", "logFiles": []}).encode(), mtime=0))
# bad inputs beside a good file
good = [rec("2024-05-01T10:00:00Z", "monitoring.amazonaws.com", "PutMetricData", w, {"namespace": "Orders"}),
        rec("2024-05-01T10:00:01Z", "states.amazonaws.com", "StartExecution", w,
            {"stateMachineArn": f"arn:aws:states:eu-west-1:{ACCT}:stateMachine:fulfil"})]
write("bad/good.json.gz", good, True)
noevent = [rec("2024-05-01T10:00:02Z", "monitoring.amazonaws.com", "PutMetricData", w, {"namespace": "Orders"}),
           rec("2024-05-01T10:00:03Z", "ssm.amazonaws.com", "GetParameter", w, {"name": "/orders/config"}),
           42]
del noevent[1]["eventSource"]
write("bad/missing-event-source.json", noevent, False)
open(os.path.join(base, "bad/not-cloudtrail.json"), "w").write('{"Version": "2012-10-17", "Statement": []}\n')
# truncated gzip: complete records first, then the stream stops mid-file
trunc_records = [rec(f"2024-05-01T10:01:{i:02d}Z", "ssm.amazonaws.com", "GetParameter", w, {"name": f"/orders/p{i}"}) for i in range(40)]
raw = gzip.compress(json.dumps({"Records": trunc_records}).encode(), mtime=0)
open(os.path.join(base, "bad/truncated.json.gz"), "wb").write(raw[: len(raw) * 2 // 3])
