package observe

import (
	"context"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	k8stypes "k8s.io/apimachinery/pkg/types"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
)

const testNS = "ai-services"

func ptr[T any](v T) *T { return &v }

func deployment(spec, ready int32) *appsv1.Deployment {
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "ai-inference", Namespace: testNS},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr(spec),
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "ai-inference"}},
		},
		Status: appsv1.DeploymentStatus{Replicas: spec, ReadyReplicas: ready, UpdatedReplicas: spec},
	}
}

func hpaObject(desired int32, conds ...autoscalingv2.HorizontalPodAutoscalerCondition) *autoscalingv2.HorizontalPodAutoscaler {
	return &autoscalingv2.HorizontalPodAutoscaler{
		ObjectMeta: metav1.ObjectMeta{Name: "keda-hpa-ai-inference-scaler", Namespace: testNS},
		Status: autoscalingv2.HorizontalPodAutoscalerStatus{
			CurrentReplicas: 3, DesiredReplicas: desired, Conditions: conds,
			CurrentMetrics: []autoscalingv2.MetricStatus{
				{Type: autoscalingv2.ExternalMetricSourceType, External: &autoscalingv2.ExternalMetricStatus{
					Metric:  autoscalingv2.MetricIdentifier{Name: "s0-redis-ai_request_queue"},
					Current: autoscalingv2.MetricValueStatus{AverageValue: ptr(resource.MustParse("120"))},
				}},
				{Type: autoscalingv2.ResourceMetricSourceType, Resource: &autoscalingv2.ResourceMetricStatus{
					Name: corev1.ResourceCPU, Current: autoscalingv2.MetricValueStatus{AverageUtilization: ptr(int32(55))},
				}},
			},
		},
	}
}

func scaledObject(active string, triggerActive bool) *unstructured.Unstructured {
	health := "Happy"
	if triggerActive {
		health = "Failing"
	}
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "keda.sh/v1alpha1", "kind": "ScaledObject",
		"metadata": map[string]any{"name": "ai-inference-scaler", "namespace": testNS},
		"status": map[string]any{
			"conditions": []any{
				map[string]any{"type": "Ready", "status": "True", "reason": "ScaledObjectReady", "message": "ScaledObject is defined correctly and is ready for scaling"},
				map[string]any{"type": "Active", "status": active, "reason": "ScalerActive", "message": "Scaling is performed because triggers are active"},
				map[string]any{"type": "Fallback", "status": "False", "reason": "NoFallbackFound", "message": "No fallbacks are active on this scaled object"},
			},
			"triggersActivity": map[string]any{"s0-redis-ai_request_queue": map[string]any{"isActive": triggerActive}},
			"health":           map[string]any{"s1-prometheus": map[string]any{"numberOfFailures": int64(0), "status": health}},
		},
	}}
}

func pod(name string, ready bool, since time.Time) *corev1.Pod {
	status := corev1.ConditionFalse
	if ready {
		status = corev1.ConditionTrue
	}
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: testNS, Labels: map[string]string{"app": "ai-inference"}},
		Status:     corev1.PodStatus{Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: status, LastTransitionTime: metav1.NewTime(since)}}},
	}
}

func newFakeKube(t *testing.T, objs ...runtime.Object) (*kubeSource, *fake.Clientset, *dynamicfake.FakeDynamicClient) {
	t.Helper()
	cs := fake.NewClientset(objs...)
	dyn := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(),
		map[schema.GroupVersionResource]string{ScaledObjectResource: "ScaledObjectList"})
	// The fake answers access reviews as it got them (not allowed); a
	// real API server allows what the Role in the docs grants.
	cs.PrependReactor("create", "selfsubjectaccessreviews", func(a k8stesting.Action) (bool, runtime.Object, error) {
		r := a.(k8stesting.CreateAction).GetObject().(*authorizationv1.SelfSubjectAccessReview).DeepCopy()
		r.Status.Allowed = true
		return true, r, nil
	})
	k := newKubeSource(KubernetesConfig{Namespace: testNS, Deployment: "ai-inference", ScaledObject: "ai-inference-scaler"}, Env{})
	k.client, k.dyn, k.ns = cs, dyn, testNS
	k.initOnce.Do(func() {})
	return k, cs, dyn
}

func byName(rs []reading) map[string]float64 {
	out := map[string]float64{}
	for _, r := range rs {
		out[r.signal] = r.value
	}
	return out
}

func TestKubePoll(t *testing.T) {
	ctx := context.Background()
	k, cs, dyn := newFakeKube(t, deployment(3, 3), hpaObject(3), pod("ai-inference-a-1", true, t0.Add(-time.Hour)))
	if _, err := dyn.Resource(ScaledObjectResource).Namespace(testNS).Create(ctx, scaledObject("False", false), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := k.check(ctx); err != nil {
		t.Fatalf("check: %v", err)
	}
	rs, evs, err := k.poll(ctx, t0, t0)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 0 {
		t.Errorf("first poll made events %+v", evs)
	}
	want := map[string]float64{
		"replicas": 3, "replicas_spec": 3, "replicas_current": 3, "replicas_updated": 3, "replicas_desired": 3,
		"hpa_s0_redis_ai_request_queue": 120, "hpa_cpu_utilization": 0.55, "keda_active": 0,
	}
	got := byName(rs)
	for name, v := range want {
		if got[name] != v {
			t.Errorf("%s = %v, want %v", name, got[name], v)
		}
	}

	// The scaler activates, the HPA wants 6, the Deployment is scaled and a
	// new pod becomes ready 2 s before the next poll.
	if _, err := dyn.Resource(ScaledObjectResource).Namespace(testNS).Update(ctx, scaledObject("True", true), metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	limited := autoscalingv2.HorizontalPodAutoscalerCondition{Type: autoscalingv2.ScalingLimited, Status: corev1.ConditionTrue, Reason: "TooManyReplicas", Message: "the desired replica count is more than the maximum replica count", LastTransitionTime: metav1.NewTime(t0.Add(3 * time.Second))}
	if _, err := cs.AutoscalingV2().HorizontalPodAutoscalers(testNS).UpdateStatus(ctx, hpaObject(6, limited), metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.AppsV1().Deployments(testNS).Update(ctx, deployment(6, 3), metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.CoreV1().Pods(testNS).Create(ctx, pod("ai-inference-a-2", true, t0.Add(3*time.Second)), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	rs, evs, err = k.poll(ctx, t0, t0.Add(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	got = byName(rs)
	if got["replicas_desired"] != 6 || got["replicas_spec"] != 6 || got["keda_active"] != 1 {
		t.Errorf("second poll %v", got)
	}
	var reasons []string
	for _, e := range evs {
		reasons = append(reasons, e.ev.Source+"|"+e.ev.Reason)
	}
	wantReasons := []string{
		"scaledobject|Active=True (ScalerActive): Scaling is performed because triggers are active",
		"scaledobject|trigger s0-redis-ai_request_queue active",
		"scaledobject|scaler s1-prometheus health Failing",
		"hpa|ScalingLimited=True (TooManyReplicas): the desired replica count is more than the maximum replica count",
		"pod|pod ai-inference-a-2 ready",
	}
	if strings.Join(reasons, "\n") != strings.Join(wantReasons, "\n") {
		t.Errorf("events\n%s\nwant\n%s", strings.Join(reasons, "\n"), strings.Join(wantReasons, "\n"))
	}
	for _, e := range evs {
		if e.ev.Source == "pod" && (!e.at.Equal(t0.Add(3*time.Second)) || e.ev.From != 1 || e.ev.To != 2) {
			t.Errorf("pod event %+v at %v", e.ev, e.at)
		}
	}
	if !strings.Contains(k.meta().detail, "hpa keda-hpa-ai-inference-scaler") {
		t.Errorf("detail %q does not name the HPA KEDA owns", k.meta().detail)
	}
}

func TestKubeForbiddenNamesVerbResourceNamespace(t *testing.T) {
	tests := []struct {
		name     string
		verb     string
		resource string
		group    string
		want     string
	}{
		{name: "deployment", verb: "get", resource: "deployments", group: "apps", want: `cannot get deployments.apps in namespace "ai-services"`},
		{name: "pods", verb: "list", resource: "pods", want: `cannot list pods in namespace "ai-services"`},
		{name: "events", verb: "list", resource: "events", want: `cannot list events in namespace "ai-services"`},
		{name: "events watch", verb: "create", resource: "selfsubjectaccessreviews", want: `cannot watch events in namespace "ai-services"`},
		{name: "hpa", verb: "get", resource: "horizontalpodautoscalers", group: "autoscaling", want: `cannot get horizontalpodautoscalers.autoscaling in namespace "ai-services"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, cs, dyn := newFakeKube(t, deployment(3, 3), hpaObject(3))
			k.cfg.ScaledObject = ""
			k.cfg.HPA = "keda-hpa-ai-inference-scaler"
			k.hpaName = k.cfg.HPA
			_ = dyn
			cs.PrependReactor(tt.verb, tt.resource, func(a k8stesting.Action) (bool, runtime.Object, error) {
				if tt.resource == "selfsubjectaccessreviews" {
					// The review answers; the answer is no.
					return true, &authorizationv1.SelfSubjectAccessReview{}, nil
				}
				return true, nil, apierrors.NewForbidden(schema.GroupResource{Group: tt.group, Resource: tt.resource}, "", nil)
			})
			err := k.check(context.Background())
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "docs/observe.md") {
				t.Fatalf("check() = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestKubeMissingObjects(t *testing.T) {
	k, _, _ := newFakeKube(t)
	err := k.check(context.Background())
	if err == nil || !strings.Contains(err.Error(), `get deployments.apps "ai-inference" in namespace "ai-services": not found`) {
		t.Fatalf("check() = %v", err)
	}
	if _, _, err := k.poll(context.Background(), t0, t0); err == nil {
		t.Fatal("poll without the deployment: no error")
	}
}

func TestEventFromKube(t *testing.T) {
	tests := []struct {
		name      string
		reason    string
		message   string
		wantFrom  float64
		wantTo    float64
		wantSized bool
		wantTo1   bool
	}{
		{name: "rescale names the new size", reason: "SuccessfulRescale", message: "New size: 7; reason: external metric s0-redis-ai_request_queue above target", wantTo: 7, wantTo1: true},
		{name: "keda activation names both", reason: "KEDAScaleTargetActivated", message: "Scaled apps/v1.Deployment ai-services/ai-inference from 0 to 2", wantFrom: 0, wantTo: 2, wantSized: true},
		{name: "failure names none", reason: "FailedGetExternalMetric", message: "unable to get external metric"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			te := eventFromKube(&corev1.Event{Reason: tt.reason, Message: tt.message}, t0)
			if te.ev.From != tt.wantFrom || te.ev.To != tt.wantTo || te.sized != tt.wantSized || te.toOnly != tt.wantTo1 {
				t.Fatalf("got %+v sized=%v toOnly=%v", te.ev, te.sized, te.toOnly)
			}
			if te.ev.Reason != tt.reason+": "+tt.message || te.ev.Source != "event" {
				t.Fatalf("reason %q source %q", te.ev.Reason, te.ev.Source)
			}
		})
	}
}

func TestWatchEmitsEventsOfTheTargetOnce(t *testing.T) {
	start := time.Now().Truncate(time.Second)
	mkEvent := func(name, kind, obj, reason string, at time.Time, count int32) *corev1.Event {
		return &corev1.Event{
			ObjectMeta:     metav1.ObjectMeta{Name: name, Namespace: testNS, UID: k8stypes.UID("uid-" + name)},
			InvolvedObject: corev1.ObjectReference{Kind: kind, Name: obj, Namespace: testNS},
			Reason:         reason, Message: reason + " message", LastTimestamp: metav1.NewTime(at), Count: count,
		}
	}
	k, cs, _ := newFakeKube(t,
		mkEvent("old", "Deployment", "ai-inference", "ScalingReplicaSet", start.Add(-time.Hour), 1),
		mkEvent("before-watch", "HorizontalPodAutoscaler", "keda-hpa-ai-inference-scaler", "SuccessfulRescale", start.Add(time.Second), 1),
		mkEvent("other", "Deployment", "someone-else", "ScalingReplicaSet", start.Add(time.Second), 1),
	)
	k.hpaName = "keda-hpa-ai-inference-scaler"
	got := make(chan timedEvent, 10)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { k.watch(ctx, start, func(e timedEvent) { got <- e }); close(done) }()

	first := <-got
	if first.ev.Reason != "SuccessfulRescale: SuccessfulRescale message" {
		t.Fatalf("first event %+v", first.ev)
	}
	// A new event arrives through the list or the watch, whichever is first.
	if _, err := cs.CoreV1().Events(testNS).Create(context.Background(), mkEvent("during", "ScaledObject", "ai-inference-scaler", "KEDAScaleTargetActivated", start.Add(2*time.Second), 1), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	second := <-got
	if second.ev.Reason != "KEDAScaleTargetActivated: KEDAScaleTargetActivated message" || !second.at.Equal(start.Add(2*time.Second)) {
		t.Fatalf("second event %+v at %v", second.ev, second.at)
	}
	cancel()
	<-done
	select {
	case e := <-got:
		t.Fatalf("unexpected event %+v", e.ev)
	default:
	}
}

// TestKubeMissingHPAIsASignalGap: the Deployment still counts when its HPA
// cannot be read; only the HPA's signal has the gap.
func TestKubeMissingHPAIsASignalGap(t *testing.T) {
	k, _, _ := newFakeKube(t, deployment(3, 3))
	k.cfg.ScaledObject = ""
	k.hpaName = "missing-hpa"
	clock := &fakeClock{t: t0}
	o := newTestObserver(clock, k)
	o.start = t0
	o.pollOnce(context.Background(), o.sources[0])
	clock.Set(t0.Add(5 * time.Second))
	o.pollOnce(context.Background(), o.sources[0])
	o.end = t0.Add(10 * time.Second)
	signals, _, infos := o.Result(nil)
	for _, s := range signals {
		switch s.Name {
		case "replicas":
			if len(s.Gaps) != 0 || len(s.Points) != 2 {
				t.Errorf("replicas %+v", s)
			}
		case "replicas_desired":
			if len(s.Gaps) != 1 || !strings.Contains(s.Gaps[0].Error, `horizontalpodautoscalers.autoscaling "missing-hpa" in namespace "ai-services": not found`) {
				t.Errorf("replicas_desired gaps %+v", s.Gaps)
			}
		}
	}
	if infos[0].OK || len(infos[0].Gaps) != 0 || !strings.Contains(infos[0].Error, "missing-hpa") {
		t.Errorf("source info %+v", infos[0])
	}
}

// TestKubeBaselineIsTheFirstSuccessfulRead: a ScaledObject that could not be
// read on the first poll sets its baseline on the first poll that reads it,
// rather than reporting every condition it already had as a change.
func TestKubeBaselineIsTheFirstSuccessfulRead(t *testing.T) {
	ctx := context.Background()
	k, _, dyn := newFakeKube(t, deployment(3, 3), hpaObject(3), pod("ai-inference-a-1", true, t0.Add(-time.Hour)))
	if _, err := dyn.Resource(ScaledObjectResource).Namespace(testNS).Create(ctx, scaledObject("True", true), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	failures := 1
	dyn.PrependReactor("get", "scaledobjects", func(k8stesting.Action) (bool, runtime.Object, error) {
		if failures > 0 {
			failures--
			return true, nil, apierrors.NewServiceUnavailable("etcd is down")
		}
		return false, nil, nil
	})
	rs, evs, err := k.poll(ctx, t0, t0)
	if err != nil || len(evs) != 0 {
		t.Fatalf("first poll: err %v, events %+v", err, evs)
	}
	var soErr error
	for _, r := range rs {
		if r.signal == "keda_active" {
			soErr = r.err
		}
	}
	if soErr == nil || !strings.Contains(soErr.Error(), "etcd is down") {
		t.Fatalf("keda_active error %v", soErr)
	}
	_, evs, err = k.poll(ctx, t0, t0.Add(5*time.Second))
	if err != nil || len(evs) != 0 {
		t.Fatalf("second poll: err %v, events %+v", err, evs)
	}
}
