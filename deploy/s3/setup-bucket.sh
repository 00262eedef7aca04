#!/bin/sh
# s3-setup (one-shot, once SeaweedFS is healthy): the inline-image bucket,
# who may read it, and the worker's own credentials.
#
# - The bucket policy lets anonymous clients GET image files only (keys
#   ending in .png, .jpg, .gif, .webp: tenant/conversation/sha256.ext):
#   customers' mail clients fetch the images by URL (S3_PUBLIC_URL/<key>),
#   while listing stays private, so nobody can enumerate them. Every other
#   object stays private, the archived transcripts (transcripts/...,
#   encrypted, no extension) first of all.
# - The worker gets an identity limited to this bucket by an IAM policy:
#   objects, and the lifecycle rules it keeps (images expire after six
#   months); no admin rights.
#
# Secrets reach curl and `weed shell` on their standard input, never as
# arguments (which any process in the container could read).
# Idempotent: re-running keeps the bucket and its objects, rewrites the
# policies and resets the worker's secret to S3_SECRET_KEY.
set -eu

bucket=${S3_BUCKET:?S3_BUCKET is not set}
: "${S3_ROOT_ACCESS_KEY:?}" "${S3_ROOT_SECRET_KEY:?}" "${S3_ACCESS_KEY:?}" "${S3_SECRET_KEY:?}"
endpoint=${S3_URL:-http://s3:8333}
master=${WEED_MASTER:-s3:9333}

# s3 METHOD PATH [BODY-FILE]: an S3 API request signed as the admin identity
# (curl's SigV4, with the payload hash S3 servers want in a header and a
# query written "name=", as they canonicalise it); prints the HTTP status,
# the response body goes to /tmp/s3-response.
s3() {
	body=${3:-/dev/null}
	hash=$(sha256sum <"$body" | cut -d' ' -f1)
	printf 'user = "%s:%s"\n' "$S3_ROOT_ACCESS_KEY" "$S3_ROOT_SECRET_KEY" |
		curl --config - --silent --show-error --aws-sigv4 "aws:amz:us-east-1:s3" \
			-H "x-amz-content-sha256: $hash" -X "$1" --data-binary "@$body" \
			-o /tmp/s3-response -w '%{http_code}' "$endpoint$2"
}

case $(s3 PUT "/$bucket") in
200) ;;
409) grep -q BucketAlreadyOwnedByYou /tmp/s3-response || { cat /tmp/s3-response >&2; exit 1; } ;;
*) cat /tmp/s3-response >&2; exit 1 ;;
esac

cat >/tmp/anonymous.json <<JSON
{"Version": "2012-10-17", "Statement": [
  {"Effect": "Allow", "Principal": "*", "Action": ["s3:GetObject"],
   "Resource": ["arn:aws:s3:::$bucket/*.png", "arn:aws:s3:::$bucket/*.jpg",
                "arn:aws:s3:::$bucket/*.gif", "arn:aws:s3:::$bucket/*.webp"]}
]}
JSON
status=$(s3 PUT "/$bucket?policy=" /tmp/anonymous.json)
case $status in 200 | 204) ;; *) cat /tmp/s3-response >&2; exit 1 ;; esac

cat >/tmp/worker.json <<JSON
{"Version": "2012-10-17", "Statement": [
  {"Effect": "Allow",
   "Action": ["s3:ListBucket", "s3:GetBucketLocation", "s3:GetLifecycleConfiguration", "s3:PutLifecycleConfiguration"],
   "Resource": ["arn:aws:s3:::$bucket"]},
  {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"],
   "Resource": ["arn:aws:s3:::$bucket/*"]}
]}
JSON
printf '%s\n' \
	"s3.policy -put -name=outbound-worker -file=/tmp/worker.json" \
	"s3.configure -user=outbound-worker -policies=outbound-worker -access_key=$S3_ACCESS_KEY -secret_key=$S3_SECRET_KEY -apply" |
	weed shell -master="$master" >/tmp/weed-shell.out 2>&1 || failed=1
# s3.configure prints the identity, secret included: never into the logs.
sed 's/"secretKey": *"[^"]*"/"secretKey": "(hidden)"/' /tmp/weed-shell.out
[ -z "${failed:-}" ] || exit 1

echo "s3-setup: bucket $bucket ready (anonymous read of images), identity outbound-worker limited to it"
