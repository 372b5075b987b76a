//go:build tools

// Package tools pins the Kubernetes control-plane commands built by ../build.sh
// (the kubelet runs the real node of `multinic dev up --real-node`).
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubelet"
)
