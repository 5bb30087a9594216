//go:build tools

// Package tools pins etcd for kubepoll's real API server test tier (a module of
// its own, so its dependency versions do not fight kube-apiserver's):
// `go build go.etcd.io/etcd/server/v3` in this module builds it.
package tools

import _ "go.etcd.io/etcd/server/v3"
