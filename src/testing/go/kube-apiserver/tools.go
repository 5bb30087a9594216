//go:build tools

// Package tools pins kube-apiserver for kubepoll's real API server test tier:
// `go build k8s.io/kubernetes/cmd/kube-apiserver` in this module builds it.
package tools

import _ "k8s.io/kubernetes/cmd/kube-apiserver"
