#!/bin/sh
# minio-setup (one-shot, once MinIO is healthy): the inline-image bucket and
# the worker's own credentials.
#
# - The bucket allows anonymous GetObject of image files only (keys ending in
#   .png, .jpg, .gif, .webp: tenant/conversation/sha256.ext): customers' mail
#   clients fetch the images by URL (S3_PUBLIC_URL/<key>), while listing the
#   bucket stays private, so nobody can enumerate the images. Every other
#   object stays private, the archived transcripts (transcripts/..., encrypted,
#   no extension) first of all.
# - The worker gets a user limited to this bucket: objects, and the lifecycle
#   rule it keeps (images expire after six months); no admin rights.
#
# Idempotent: re-running keeps the bucket and its objects, rewrites the
# policies and resets the user's secret to S3_SECRET_KEY.
set -eu

bucket=${S3_BUCKET:?S3_BUCKET is not set}
: "${MINIO_ROOT_USER:?}" "${MINIO_ROOT_PASSWORD:?}" "${S3_ACCESS_KEY:?}" "${S3_SECRET_KEY:?}"

mc alias set local "${MINIO_URL:-http://minio:9000}" "$MINIO_ROOT_USER" "$MINIO_ROOT_PASSWORD" >/dev/null
mc mb --ignore-existing "local/$bucket"

cat >/tmp/anonymous.json <<JSON
{"Version": "2012-10-17", "Statement": [
  {"Effect": "Allow", "Principal": {"AWS": ["*"]}, "Action": ["s3:GetObject"],
   "Resource": ["arn:aws:s3:::$bucket/*.png", "arn:aws:s3:::$bucket/*.jpg",
                "arn:aws:s3:::$bucket/*.gif", "arn:aws:s3:::$bucket/*.webp"]}
]}
JSON
mc anonymous set-json /tmp/anonymous.json "local/$bucket"

cat >/tmp/worker.json <<JSON
{"Version": "2012-10-17", "Statement": [
  {"Effect": "Allow",
   "Action": ["s3:ListBucket", "s3:GetBucketLocation", "s3:GetLifecycleConfiguration", "s3:PutLifecycleConfiguration"],
   "Resource": ["arn:aws:s3:::$bucket"]},
  {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"],
   "Resource": ["arn:aws:s3:::$bucket/*"]}
]}
JSON
mc admin policy create local outbound-worker /tmp/worker.json
mc admin user add local "$S3_ACCESS_KEY" "$S3_SECRET_KEY"
if ! out=$(mc admin policy attach local outbound-worker --user "$S3_ACCESS_KEY" 2>&1); then
	case "$out" in
	*"already in effect"*) ;; # attached by an earlier run
	*) echo "$out" >&2; exit 1 ;;
	esac
fi
echo "minio-setup: bucket $bucket ready (anonymous read of images), user $S3_ACCESS_KEY attached to outbound-worker"
