package v1alpha1

import "time"

// DefaultRateLimitImage is the rate limit service image: the upstream image
// of the github.com/envoyproxy/ratelimit commit the project builds and tests
// (3fb702589d36), tagged with the commit's first 8 characters.
const DefaultRateLimitImage = "docker.io/envoyproxy/ratelimit:3fb70258"

// DefaultRateLimitReplicas is the number of rate limit service Pods unless
// rateLimit.deployment.replicas says otherwise.
const DefaultRateLimitReplicas int32 = 1

// DefaultRateLimitTimeout is how long Envoy waits for the rate limit service
// unless rateLimit.timeout says otherwise.
const DefaultRateLimitTimeout = 100 * time.Millisecond
