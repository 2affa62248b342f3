'use strict';
// Starts s3rver with its command line (see `node serve.js --help`), with one fix: s3rver 3.7.1 reads the
// x-amz-copy-source header with decodeURI, which leaves %2F as it is, and the AWS SDK for .NET sends the source key's
// slashes as %2F (as S3 allows), so every copy would miss its source. That header is s3rver's only use of decodeURI.
globalThis.decodeURI = decodeURIComponent;
require('s3rver/bin/s3rver.js');
