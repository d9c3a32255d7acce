package observe

import (
	"slices"
	"strconv"
	"strings"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/surge-sh/surge/pkg/report"
)

// The defaults the API server and KEDA apply to what a spec leaves out, so
// that an object read without them (or written by a test) means the same.
const (
	// hpaDefaultCPUUtilization is autoscaling/v2's metric when none is set.
	hpaDefaultCPUUtilization = 80
	kedaDefaultMinReplicas   = 0
	kedaDefaultMaxReplicas   = 100
)

// autoscalerDescriber is a source that reads the autoscaler's configuration.
type autoscalerDescriber interface {
	autoscalerInfo() *report.AutoscalerInfo
}

// hpaInfo reads an autoscaling/v2 HPA's spec: its bounds and what it
// scales on.
func hpaInfo(h *autoscalingv2.HorizontalPodAutoscaler) *report.AutoscalerInfo {
	info := &report.AutoscalerInfo{Kind: "hpa", Name: h.Name, ScalesOn: []string{}, MinReplicas: 1, MaxReplicas: int(h.Spec.MaxReplicas)}
	if h.Spec.MinReplicas != nil {
		info.MinReplicas = int(*h.Spec.MinReplicas)
	}
	metrics := h.Spec.Metrics
	if len(metrics) == 0 {
		u := int32(hpaDefaultCPUUtilization)
		metrics = []autoscalingv2.MetricSpec{{Type: autoscalingv2.ResourceMetricSourceType, Resource: &autoscalingv2.ResourceMetricSource{
			Name: corev1.ResourceCPU, Target: autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType, AverageUtilization: &u},
		}}}
	}
	for _, m := range metrics {
		var name string
		var target autoscalingv2.MetricTarget
		switch {
		case m.Resource != nil:
			name, target = string(m.Resource.Name), m.Resource.Target
		case m.ContainerResource != nil:
			name, target = string(m.ContainerResource.Name), m.ContainerResource.Target
		case m.External != nil:
			name, target = m.External.Metric.Name, m.External.Target
		case m.Object != nil:
			name, target = m.Object.Metric.Name, m.Object.Target
		case m.Pods != nil:
			name, target = m.Pods.Metric.Name, m.Pods.Target
		default:
			continue
		}
		isResource := m.Resource != nil || m.ContainerResource != nil
		signal := "hpa_" + sanitize(name)
		switch {
		case isResource && name == string(corev1.ResourceCPU):
			signal = SignalCPU
			if target.AverageUtilization != nil {
				setCPUTarget(info, float64(*target.AverageUtilization)/100)
			}
		case isResource && target.AverageUtilization != nil:
			// The name of the signal the HPA's current value is read into.
			signal += "_utilization"
		}
		if !slices.Contains(info.ScalesOn, signal) {
			info.ScalesOn = append(info.ScalesOn, signal)
		}
	}
	return info
}

// scaledObjectInfo reads a KEDA ScaledObject's spec: its replica bounds
// and the signals its triggers stand for.
func scaledObjectInfo(so *unstructured.Unstructured) *report.AutoscalerInfo {
	info := &report.AutoscalerInfo{Kind: "keda", Name: so.GetName(), ScalesOn: []string{},
		MinReplicas: kedaDefaultMinReplicas, MaxReplicas: kedaDefaultMaxReplicas}
	if v, ok := nestedInt(so.Object, "spec", "minReplicaCount"); ok {
		info.MinReplicas = v
	}
	if v, ok := nestedInt(so.Object, "spec", "maxReplicaCount"); ok {
		info.MaxReplicas = v
	}
	triggers, _, _ := unstructured.NestedSlice(so.Object, "spec", "triggers")
	for _, t := range triggers {
		tm, ok := t.(map[string]any)
		if !ok {
			continue
		}
		typ := strings.ToLower(str(tm["type"]))
		meta, _ := tm["metadata"].(map[string]any)
		var signal string
		switch {
		case typ == "cpu":
			signal = SignalCPU
			// metricType replaced metadata.type in KEDA 2.10; both are read.
			mt := firstNonEmpty(str(tm["metricType"]), str(meta["type"]))
			if strings.EqualFold(mt, string(autoscalingv2.UtilizationMetricType)) {
				if v, err := strconv.ParseFloat(str(meta["value"]), 64); err == nil && v > 0 {
					setCPUTarget(info, v/100)
				}
			}
		case strings.HasPrefix(typ, "redis"):
			// redis, redis-cluster, redis-sentinel (list length) and
			// redis-streams (pending entries): requests waiting.
			signal = SignalQueueDepth
		case typ == "prometheus":
			signal = SignalP95Latency
		case typ == "":
			continue
		default:
			signal = "keda_" + sanitize(typ)
		}
		if !slices.Contains(info.ScalesOn, signal) {
			info.ScalesOn = append(info.ScalesOn, signal)
		}
	}
	return info
}

// setCPUTarget keeps the lowest of several CPU targets: an autoscaler
// scales to the largest of its metrics' proposals, so the lowest target is
// the one that makes it act first.
func setCPUTarget(info *report.AutoscalerInfo, ratio float64) {
	if info.CPUTargetRatio == 0 || ratio < info.CPUTargetRatio {
		info.CPUTargetRatio = ratio
	}
}

// nestedInt reads an integer field, which the JSON decoder of the dynamic
// client gives as int64 (or float64 from hand-built objects).
func nestedInt(obj map[string]any, fields ...string) (int, bool) {
	v, ok, err := unstructured.NestedFieldNoCopy(obj, fields...)
	if err != nil || !ok {
		return 0, false
	}
	switch n := v.(type) {
	case int64:
		return int(n), true
	case int:
		return n, true
	case int32:
		return int(n), true
	case float64:
		return int(n), true
	}
	return 0, false
}

// autoscalerInfo is the last configuration read: the ScaledObject's when
// one is configured and was read, since it owns the HPA, else the HPA's.
func (k *kubeSource) autoscalerInfo() *report.AutoscalerInfo {
	k.mu.Lock()
	defer k.mu.Unlock()
	info := k.hpaInfo
	if k.soInfo != nil {
		info = k.soInfo
	}
	if info == nil {
		return nil
	}
	c := *info
	c.ScalesOn = slices.Clone(info.ScalesOn)
	return &c
}

func (k *kubeSource) setHPAInfo(h *autoscalingv2.HorizontalPodAutoscaler) {
	info := hpaInfo(h)
	k.mu.Lock()
	k.hpaInfo = info
	k.mu.Unlock()
}

func (k *kubeSource) setScaledObjectInfo(so *unstructured.Unstructured) {
	info := scaledObjectInfo(so)
	k.mu.Lock()
	k.soInfo = info
	k.mu.Unlock()
}
