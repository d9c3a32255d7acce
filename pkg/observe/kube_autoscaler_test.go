package observe

import (
	"context"
	"reflect"
	"testing"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/surge-sh/surge/pkg/report"
)

func cpuUtilization(pct int32) autoscalingv2.MetricSpec {
	return autoscalingv2.MetricSpec{Type: autoscalingv2.ResourceMetricSourceType, Resource: &autoscalingv2.ResourceMetricSource{
		Name: corev1.ResourceCPU, Target: autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType, AverageUtilization: ptr(pct)},
	}}
}

func hpaSpec(name string, minR *int32, maxR int32, metrics ...autoscalingv2.MetricSpec) *autoscalingv2.HorizontalPodAutoscaler {
	return &autoscalingv2.HorizontalPodAutoscaler{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: testNS},
		Spec: autoscalingv2.HorizontalPodAutoscalerSpec{
			ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Name: "ai-inference"},
			MinReplicas:    minR, MaxReplicas: maxR, Metrics: metrics,
		},
	}
}

func TestHPAInfo(t *testing.T) {
	avg := func(q string) autoscalingv2.MetricTarget {
		return autoscalingv2.MetricTarget{Type: autoscalingv2.AverageValueMetricType, AverageValue: ptr(resource.MustParse(q))}
	}
	tests := []struct {
		name string
		hpa  *autoscalingv2.HorizontalPodAutoscaler
		want report.AutoscalerInfo
	}{
		{
			name: "cpu utilization target",
			hpa:  hpaSpec("ai-inference", ptr(int32(2)), 10, cpuUtilization(70)),
			want: report.AutoscalerInfo{Kind: "hpa", Name: "ai-inference", ScalesOn: []string{"cpu"}, CPUTargetRatio: 0.7, MinReplicas: 2, MaxReplicas: 10},
		},
		{
			// autoscaling/v2 defaults an HPA without metrics to 80% CPU
			// and minReplicas to 1.
			name: "no metrics means the API server defaults",
			hpa:  hpaSpec("bare", nil, 4),
			want: report.AutoscalerInfo{Kind: "hpa", Name: "bare", ScalesOn: []string{"cpu"}, CPUTargetRatio: 0.8, MinReplicas: 1, MaxReplicas: 4},
		},
		{
			name: "cpu by average value has no ratio",
			hpa: hpaSpec("cpu-cores", ptr(int32(1)), 5, autoscalingv2.MetricSpec{Type: autoscalingv2.ResourceMetricSourceType, Resource: &autoscalingv2.ResourceMetricSource{
				Name: corev1.ResourceCPU, Target: avg("500m"),
			}}),
			want: report.AutoscalerInfo{Kind: "hpa", Name: "cpu-cores", ScalesOn: []string{"cpu"}, MinReplicas: 1, MaxReplicas: 5},
		},
		{
			name: "external, pods, object and memory metrics",
			hpa: hpaSpec("keda-hpa-ai-inference-scaler", ptr(int32(0)), 20,
				autoscalingv2.MetricSpec{Type: autoscalingv2.ExternalMetricSourceType, External: &autoscalingv2.ExternalMetricSource{
					Metric: autoscalingv2.MetricIdentifier{Name: "s0-redis-ai_request_queue"}, Target: avg("50"),
				}},
				autoscalingv2.MetricSpec{Type: autoscalingv2.PodsMetricSourceType, Pods: &autoscalingv2.PodsMetricSource{
					Metric: autoscalingv2.MetricIdentifier{Name: "inference_queue_depth"}, Target: avg("4"),
				}},
				autoscalingv2.MetricSpec{Type: autoscalingv2.ObjectMetricSourceType, Object: &autoscalingv2.ObjectMetricSource{
					Metric: autoscalingv2.MetricIdentifier{Name: "requests-per-second"}, Target: autoscalingv2.MetricTarget{Type: autoscalingv2.ValueMetricType, Value: ptr(resource.MustParse("100"))},
				}},
				autoscalingv2.MetricSpec{Type: autoscalingv2.ResourceMetricSourceType, Resource: &autoscalingv2.ResourceMetricSource{
					Name: corev1.ResourceMemory, Target: autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType, AverageUtilization: ptr(int32(75))},
				}},
			),
			want: report.AutoscalerInfo{Kind: "hpa", Name: "keda-hpa-ai-inference-scaler", MinReplicas: 0, MaxReplicas: 20,
				ScalesOn: []string{"hpa_s0_redis_ai_request_queue", "hpa_inference_queue_depth", "hpa_requests_per_second", "hpa_memory_utilization"}},
		},
		{
			name: "container cpu and resource cpu count once",
			hpa: hpaSpec("sidecars", ptr(int32(3)), 9, cpuUtilization(60),
				autoscalingv2.MetricSpec{Type: autoscalingv2.ContainerResourceMetricSourceType, ContainerResource: &autoscalingv2.ContainerResourceMetricSource{
					Name: corev1.ResourceCPU, Container: "model", Target: autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType, AverageUtilization: ptr(int32(50))},
				}}),
			// The HPA scales to the largest proposal, so the lowest
			// target is the one that acts first.
			want: report.AutoscalerInfo{Kind: "hpa", Name: "sidecars", ScalesOn: []string{"cpu"}, CPUTargetRatio: 0.5, MinReplicas: 3, MaxReplicas: 9},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := hpaInfo(tt.hpa)
			if !reflect.DeepEqual(*got, tt.want) {
				t.Fatalf("hpaInfo = %+v, want %+v", *got, tt.want)
			}
		})
	}
}

func scaledObjectSpec(name string, spec map[string]any) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "keda.sh/v1alpha1", "kind": "ScaledObject",
		"metadata": map[string]any{"name": name, "namespace": testNS},
		"spec":     spec,
	}}
}

func TestScaledObjectInfo(t *testing.T) {
	redis := map[string]any{"type": "redis", "metadata": map[string]any{"listName": "ai_request_queue", "listLength": "50"}}
	prom := map[string]any{"type": "prometheus", "metadata": map[string]any{"query": "histogram_quantile(0.95, ...)", "threshold": "2"}}
	tests := []struct {
		name string
		so   *unstructured.Unstructured
		want report.AutoscalerInfo
	}{
		{
			name: "redis and prometheus triggers",
			so: scaledObjectSpec("ai-inference-scaler", map[string]any{
				"minReplicaCount": int64(2), "maxReplicaCount": int64(20), "triggers": []any{redis, prom},
			}),
			want: report.AutoscalerInfo{Kind: "keda", Name: "ai-inference-scaler", ScalesOn: []string{"queue_depth", "p95_latency"}, MinReplicas: 2, MaxReplicas: 20},
		},
		{
			name: "KEDA's defaults when the bounds are left out",
			so:   scaledObjectSpec("defaults", map[string]any{"triggers": []any{redis}}),
			want: report.AutoscalerInfo{Kind: "keda", Name: "defaults", ScalesOn: []string{"queue_depth"}, MinReplicas: 0, MaxReplicas: 100},
		},
		{
			name: "cpu trigger with metricType",
			so: scaledObjectSpec("cpu", map[string]any{
				"minReplicaCount": int64(1), "maxReplicaCount": int64(8),
				"triggers": []any{map[string]any{"type": "cpu", "metricType": "Utilization", "metadata": map[string]any{"value": "60"}}},
			}),
			want: report.AutoscalerInfo{Kind: "keda", Name: "cpu", ScalesOn: []string{"cpu"}, CPUTargetRatio: 0.6, MinReplicas: 1, MaxReplicas: 8},
		},
		{
			name: "cpu trigger with the older metadata.type, bounds as float64",
			so: scaledObjectSpec("cpu-legacy", map[string]any{
				"minReplicaCount": float64(1), "maxReplicaCount": float64(6),
				"triggers": []any{map[string]any{"type": "cpu", "metadata": map[string]any{"type": "Utilization", "value": "75"}}},
			}),
			want: report.AutoscalerInfo{Kind: "keda", Name: "cpu-legacy", ScalesOn: []string{"cpu"}, CPUTargetRatio: 0.75, MinReplicas: 1, MaxReplicas: 6},
		},
		{
			name: "cpu by average value and other trigger types",
			so: scaledObjectSpec("mixed", map[string]any{
				"maxReplicaCount": int64(30),
				"triggers": []any{
					map[string]any{"type": "cpu", "metricType": "AverageValue", "metadata": map[string]any{"value": "500m"}},
					map[string]any{"type": "kafka", "metadata": map[string]any{"topic": "jobs"}},
					map[string]any{"type": "redis-streams", "metadata": map[string]any{"stream": "s"}},
					map[string]any{"type": "aws-sqs-queue", "metadata": map[string]any{}},
					redis,
				},
			}),
			want: report.AutoscalerInfo{Kind: "keda", Name: "mixed", ScalesOn: []string{"cpu", "keda_kafka", "queue_depth", "keda_aws_sqs_queue"}, MinReplicas: 0, MaxReplicas: 30},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := scaledObjectInfo(tt.so)
			if !reflect.DeepEqual(*got, tt.want) {
				t.Fatalf("scaledObjectInfo = %+v, want %+v", *got, tt.want)
			}
		})
	}
}

// TestKubeResultCarriesAutoscaler reads the objects through the fake
// clients and the observer: the ScaledObject's view wins over the HPA it
// owns, an HPA alone describes itself, and nothing read leaves it nil.
func TestKubeResultCarriesAutoscaler(t *testing.T) {
	so := scaledObjectSpec("ai-inference-scaler", map[string]any{
		"minReplicaCount": int64(2), "maxReplicaCount": int64(20),
		"triggers": []any{map[string]any{"type": "redis", "metadata": map[string]any{"listName": "q"}}},
	})
	kedaHPA := hpaSpec("keda-hpa-ai-inference-scaler", ptr(int32(2)), 20, autoscalingv2.MetricSpec{
		Type: autoscalingv2.ExternalMetricSourceType, External: &autoscalingv2.ExternalMetricSource{
			Metric: autoscalingv2.MetricIdentifier{Name: "s0-redis-q"},
			Target: autoscalingv2.MetricTarget{Type: autoscalingv2.AverageValueMetricType, AverageValue: ptr(resource.MustParse("50"))},
		},
	})
	tests := []struct {
		name    string
		cfg     KubernetesConfig
		hpa     *autoscalingv2.HorizontalPodAutoscaler
		so      *unstructured.Unstructured
		pollToo bool
		want    *report.AutoscalerInfo
	}{
		{
			name: "ScaledObject over its HPA",
			cfg:  KubernetesConfig{ScaledObject: "ai-inference-scaler"},
			hpa:  kedaHPA, so: so, pollToo: true,
			want: &report.AutoscalerInfo{Kind: "keda", Name: "ai-inference-scaler", ScalesOn: []string{"queue_depth"}, MinReplicas: 2, MaxReplicas: 20},
		},
		{
			name: "HPA alone, read at check",
			cfg:  KubernetesConfig{HPA: "ai-inference"},
			hpa:  hpaSpec("ai-inference", ptr(int32(1)), 10, cpuUtilization(70)),
			want: &report.AutoscalerInfo{Kind: "hpa", Name: "ai-inference", ScalesOn: []string{"cpu"}, CPUTargetRatio: 0.7, MinReplicas: 1, MaxReplicas: 10},
		},
		{
			name: "HPA alone, read by a poll",
			cfg:  KubernetesConfig{HPA: "ai-inference"},
			hpa:  hpaSpec("ai-inference", ptr(int32(1)), 10, cpuUtilization(70)), pollToo: true,
			want: &report.AutoscalerInfo{Kind: "hpa", Name: "ai-inference", ScalesOn: []string{"cpu"}, CPUTargetRatio: 0.7, MinReplicas: 1, MaxReplicas: 10},
		},
		{
			name: "no autoscaler configured",
			cfg:  KubernetesConfig{}, pollToo: true,
		},
		{
			name: "configured HPA missing",
			cfg:  KubernetesConfig{HPA: "gone"}, pollToo: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			k, cs, dyn := newFakeKube(t, deployment(2, 2))
			tt.cfg.Namespace, tt.cfg.Deployment = testNS, "ai-inference"
			k.cfg, k.hpaName = tt.cfg, tt.cfg.HPA
			if tt.hpa != nil {
				if _, err := cs.AutoscalingV2().HorizontalPodAutoscalers(testNS).Create(ctx, tt.hpa, metav1.CreateOptions{}); err != nil {
					t.Fatal(err)
				}
			}
			if tt.so != nil {
				if _, err := dyn.Resource(ScaledObjectResource).Namespace(testNS).Create(ctx, tt.so, metav1.CreateOptions{}); err != nil {
					t.Fatal(err)
				}
			}
			clock := &fakeClock{t: t0}
			o := newTestObserver(clock, k)
			_ = o.Check(ctx) // a missing HPA fails the check; the report must still be whole
			if tt.pollToo {
				// Forget what the check read, so the poll alone must fill it in.
				k.hpaInfo, k.soInfo = nil, nil
				if _, _, err := k.poll(ctx, t0, t0); err != nil {
					t.Fatal(err)
				}
			}
			_, scaling, _ := o.Result(nil)
			if !reflect.DeepEqual(scaling.Autoscaler, tt.want) {
				t.Fatalf("autoscaler = %+v, want %+v", scaling.Autoscaler, tt.want)
			}
			if scaling.Autoscaler != nil {
				// The report holds its own copy.
				scaling.Autoscaler.ScalesOn[0] = "changed"
				if _, again, _ := o.Result(nil); again.Autoscaler.ScalesOn[0] == "changed" {
					t.Fatal("Result shares the source's slice")
				}
			}
		})
	}
}
