package observe_test

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	apiextv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiextclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	"github.com/surge-sh/surge/internal/testenv"
	"github.com/surge-sh/surge/pkg/observe"
	"github.com/surge-sh/surge/pkg/report"
	"github.com/surge-sh/surge/pkg/units"
)

const (
	ns      = "ai-services"
	deploy  = "ai-inference"
	soName  = "ai-inference-scaler"
	hpaName = "keda-hpa-ai-inference-scaler"
)

// TestKubernetesAgainstRealAPIServer plays a scaling story on a real
// kube-apiserver (the test writes what the controllers would) while surge
// observes it, then stops the API server mid-run. The replica series and
// the event timeline must follow the script, in order, each within one poll
// interval; the outage must be a gap in a complete result.
func TestKubernetesAgainstRealAPIServer(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	kube := testenv.KubeAPIServer(t)
	cs := kubernetes.NewForConfigOrDie(kube.AdminConfig)
	dyn := dynamic.NewForConfigOrDie(kube.AdminConfig)
	setupCluster(ctx, t, kube, cs, dyn)

	t.Run("no rights", func(t *testing.T) {
		cfg := observe.Config{Kubernetes: &observe.KubernetesConfig{Namespace: ns, Deployment: deploy, ScaledObject: soName}}
		cfg.ApplyDefaults()
		o, err := observe.New(cfg, observe.Env{Kubeconfig: kube.NoRightsKubeconfig, Getenv: func(string) string { return "" }})
		if err != nil {
			t.Fatal(err)
		}
		err = o.Check(ctx)
		want := `observe kubernetes: forbidden: cannot get deployments.apps in namespace "ai-services"`
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("Check() = %v, want %q", err, want)
		}
	})

	t.Run("hpa with a cpu target", func(t *testing.T) { testHPAWithCPUTarget(ctx, t, kube, cs) })
	t.Run("in-cluster service account", func(t *testing.T) { testInCluster(ctx, t, kube) })

	const interval = time.Second
	cfg := observe.Config{
		Interval:   units.Duration(interval),
		Kubernetes: &observe.KubernetesConfig{Namespace: ns, Deployment: deploy, ScaledObject: soName},
	}
	cfg.ApplyDefaults()
	if p := cfg.Validate(); len(p) > 0 {
		t.Fatal(p)
	}
	env := map[string]string{"KUBECONFIG": kube.AdminKubeconfig}
	o, err := observe.New(cfg, observe.Env{Getenv: func(k string) string { return env[k] }})
	if err != nil {
		t.Fatal(err)
	}
	if err := o.Check(ctx); err != nil {
		t.Fatalf("Check: %v", err)
	}

	start := time.Now()
	runCtx, stopRun := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { o.Run(runCtx, start); close(done) }()
	at := func() float64 { return time.Since(start).Seconds() }
	// Steps lie further apart than a poll interval plus the second that
	// event timestamps may lose, so that their order is unambiguous.
	pause := func() { time.Sleep(3500 * time.Millisecond) }

	pause()
	t1 := at() // the autoscaler decides: 2 -> 5
	setHPADesired(ctx, t, cs, 5)
	emitEvent(ctx, t, cs, "HorizontalPodAutoscaler", hpaName, corev1.EventTypeNormal, "SuccessfulRescale",
		"New size: 5; reason: external metric s0-redis-ai_request_queue(&LabelSelector{MatchLabels:map[string]string{scaledobject.keda.sh/name: ai-inference-scaler,},}) above target")
	pause()
	t2 := at() // the Deployment is scaled
	scaleDeployment(ctx, t, cs, 5)
	setDeploymentStatus(ctx, t, cs, 5, 2)
	pause()
	t3 := at() // the new replicas are ready; KEDA turns active; a metric fails
	setDeploymentStatus(ctx, t, cs, 5, 5)
	setPodReady(ctx, t, cs, "ai-inference-7d9f-x1")
	setScaledObjectActive(ctx, t, dyn, "True")
	emitEvent(ctx, t, cs, "HorizontalPodAutoscaler", hpaName, corev1.EventTypeWarning, "FailedGetExternalMetric",
		"unable to get external metric ai-services/s0-prometheus/&LabelSelector{}: unable to fetch metrics from external metrics API")
	pause()
	tStop := at()
	kube.Stop()
	time.Sleep(3 * time.Second)
	stopRun()
	<-done
	end := start.Add(time.Duration(at() * float64(time.Second)))
	o.Finish(ctx, end)
	signals, scaling, sources := o.Result([]observe.Span{{Name: "run", Start: 0, End: end.Sub(start).Seconds()}})

	t.Logf("timeline:%s", dump(scaling.Events))
	// One poll interval, plus the time the poll itself takes on a busy machine.
	tol := interval.Seconds() + 1
	type want struct {
		step   int
		t      float64
		match  func(report.ScaleEvent) bool
		what   string
		earlyS float64 // event timestamps have whole seconds
	}
	wants := []want{
		{1, t1, func(e report.ScaleEvent) bool {
			return e.Kind == "desired" && e.Source == "hpa" && e.From == 2 && e.To == 5
		}, "desired 2 -> 5", 0},
		{1, t1, func(e report.ScaleEvent) bool {
			return e.Source == "event" && strings.HasPrefix(e.Reason, "SuccessfulRescale: New size: 5") && e.From == 2 && e.To == 5
		}, "SuccessfulRescale event", 1},
		{2, t2, func(e report.ScaleEvent) bool {
			return e.Kind == "spec" && e.Source == "deployment" && e.From == 2 && e.To == 5
		}, "spec 2 -> 5", 0},
		{3, t3, func(e report.ScaleEvent) bool {
			return e.Kind == "ready" && e.Source == "deployment" && e.From == 2 && e.To == 5
		}, "ready 2 -> 5", 0},
		{3, t3, func(e report.ScaleEvent) bool {
			return e.Source == "pod" && strings.Contains(e.Reason, "ai-inference-7d9f-x1 ready")
		}, "pod ready", 1},
		{3, t3, func(e report.ScaleEvent) bool {
			return e.Source == "scaledobject" && strings.HasPrefix(e.Reason, "Active=True")
		}, "ScaledObject Active", 0},
		{3, t3, func(e report.ScaleEvent) bool {
			return e.Source == "event" && strings.HasPrefix(e.Reason, "FailedGetExternalMetric: unable to get external metric")
		}, "FailedGetExternalMetric event", 1},
	}
	lastStep, lastSeconds := 0, -1.0
	type found struct {
		step    int
		seconds float64
	}
	var order []found
	for _, w := range wants {
		var hits []report.ScaleEvent
		for _, e := range scaling.Events {
			if w.match(e) {
				hits = append(hits, e)
			}
		}
		if len(hits) != 1 {
			t.Errorf("%s: %d matching events in %s", w.what, len(hits), dump(scaling.Events))
			continue
		}
		e := hits[0]
		if e.Seconds < w.t-w.earlyS-0.01 || e.Seconds > w.t+tol {
			t.Errorf("%s at %.2fs, scripted at %.2fs (allowed %.2f..%.2f)", w.what, e.Seconds, w.t, w.t-w.earlyS, w.t+tol)
		}
		order = append(order, found{w.step, e.Seconds})
	}
	sort.SliceStable(order, func(i, j int) bool { return order[i].seconds < order[j].seconds })
	for _, f := range order {
		if f.step < lastStep {
			t.Errorf("event of step %d at %.2fs comes after one of step %d at %.2fs", f.step, f.seconds, lastStep, lastSeconds)
		}
		lastStep, lastSeconds = f.step, f.seconds
	}
	wantAutoscaler := &report.AutoscalerInfo{Kind: "keda", Name: soName, ScalesOn: []string{"queue_depth"}, MinReplicas: 2, MaxReplicas: 20}
	if !reflect.DeepEqual(scaling.Autoscaler, wantAutoscaler) {
		t.Errorf("autoscaler %+v, want %+v", scaling.Autoscaler, wantAutoscaler)
	}
	if r := scaling.Replicas; !r.Known || r.Initial != 2 || r.Max != 5 || r.Final != 5 {
		t.Errorf("replicas %+v, want 2 .. 5", r)
	}

	bySignal := map[string]report.Signal{}
	for _, s := range signals {
		bySignal[s.Name] = s
	}
	for _, name := range []string{"replicas", "replicas_desired", "replicas_spec", "keda_active"} {
		s, ok := bySignal[name]
		if !ok || len(s.Points) == 0 || s.Source != "kubernetes" {
			t.Errorf("signal %s: %+v", name, s)
			continue
		}
		if last := s.Points[len(s.Points)-1][0]; last > tStop+tol {
			t.Errorf("%s has a point at %.2fs, after the API server stopped at %.2fs", name, last, tStop)
		}
		if len(s.Gaps) != 1 {
			t.Errorf("%s gaps %+v, want the outage", name, s.Gaps)
		}
	}
	if len(sources) != 1 || sources[0].OK || len(sources[0].Gaps) != 1 {
		t.Fatalf("sources %+v, want one gap", sources)
	}
	g := sources[0].Gaps[0]
	endS := end.Sub(start).Seconds()
	if g.FromSeconds < tStop || g.FromSeconds > tStop+tol || g.ToSeconds != endS || g.Error == "" {
		t.Errorf("gap %+v, want from the stop at %.2fs (within %.1fs) to the end at %.2fs, with an error", g, tStop, tol, endS)
	}
}

// testHPAWithCPUTarget observes a Deployment scaled by a plain CPU HPA:
// the report must carry the HPA's own settings, read from the API server.
func testHPAWithCPUTarget(ctx context.Context, t *testing.T, kube *testenv.KubeServer, cs kubernetes.Interface) {
	const name = "cpu-app"
	createDeployment(ctx, t, cs, name, 1)
	minR, target := int32(1), int32(70)
	_, err := cs.AutoscalingV2().HorizontalPodAutoscalers(ns).Create(ctx, &autoscalingv2.HorizontalPodAutoscaler{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: autoscalingv2.HorizontalPodAutoscalerSpec{
			ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Name: name},
			MinReplicas:    &minR, MaxReplicas: 10,
			Metrics: []autoscalingv2.MetricSpec{{
				Type: autoscalingv2.ResourceMetricSourceType,
				Resource: &autoscalingv2.ResourceMetricSource{Name: corev1.ResourceCPU, Target: autoscalingv2.MetricTarget{
					Type: autoscalingv2.UtilizationMetricType, AverageUtilization: &target,
				}},
			}},
		},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cfg := observe.Config{Kubernetes: &observe.KubernetesConfig{Namespace: ns, Deployment: name, HPA: name}}
	cfg.ApplyDefaults()
	o, err := observe.New(cfg, observe.Env{Kubeconfig: kube.AdminKubeconfig, Getenv: func(string) string { return "" }})
	if err != nil {
		t.Fatal(err)
	}
	if err := o.Check(ctx); err != nil {
		t.Fatalf("Check: %v", err)
	}
	runUntilReplicas(ctx, t, o)
	_, scaling, _ := o.Result(nil)
	want := &report.AutoscalerInfo{Kind: "hpa", Name: name, ScalesOn: []string{"cpu"}, CPUTargetRatio: 0.7, MinReplicas: 1, MaxReplicas: 10}
	if !reflect.DeepEqual(scaling.Autoscaler, want) {
		t.Fatalf("autoscaler %+v, want %+v", scaling.Autoscaler, want)
	}
}

// testInCluster runs the source as it runs in a pod: no kubeconfig, the
// service host and port in the environment, and the admin token, the
// serving CA and the namespace in a service account directory.
func testInCluster(ctx context.Context, t *testing.T, kube *testenv.KubeServer) {
	u, err := url.Parse(kube.URL)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for name, content := range map[string][]byte{
		"token":     []byte(kube.AdminConfig.BearerToken),
		"ca.crt":    kube.AdminConfig.TLSClientConfig.CAData,
		"namespace": []byte(ns + "\n"),
	} {
		if err := os.WriteFile(filepath.Join(dir, name), content, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	observe.SetServiceAccountDir(t, dir)
	env := map[string]string{"KUBERNETES_SERVICE_HOST": u.Hostname(), "KUBERNETES_SERVICE_PORT": u.Port()}
	// No namespace in the scenario: the pod's own, from the namespace file.
	cfg := observe.Config{Kubernetes: &observe.KubernetesConfig{Deployment: deploy}}
	cfg.ApplyDefaults()
	o, err := observe.New(cfg, observe.Env{Getenv: func(k string) string { return env[k] }})
	if err != nil {
		t.Fatal(err)
	}
	if err := o.Check(ctx); err != nil {
		t.Fatalf("Check: %v", err)
	}
	if v := runUntilReplicas(ctx, t, o); v != 2 {
		t.Errorf("ready replicas %g, want the Deployment's 2", v)
	}
	_, _, sources := o.Result(nil)
	wantDetail := fmt.Sprintf("deployment %s/%s on %s", ns, deploy, kube.URL)
	if len(sources) != 1 || !sources[0].OK || !strings.HasPrefix(sources[0].Detail, wantDetail) {
		t.Fatalf("sources %+v, want one healthy source with detail %q", sources, wantDetail)
	}
}

// runUntilReplicas runs the observer until it has read the ready replicas,
// and returns them.
func runUntilReplicas(ctx context.Context, t *testing.T, o *observe.Observer) float64 {
	t.Helper()
	runCtx, stop := context.WithTimeout(ctx, 15*time.Second)
	done := make(chan struct{})
	go func() { o.Run(runCtx, time.Now()); close(done) }()
	defer func() { stop(); <-done }()
	for {
		if v, ok := o.Last("replicas"); ok {
			return v
		}
		select {
		case <-runCtx.Done():
			t.Fatal("no replica count read within 15 s")
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func createDeployment(ctx context.Context, t *testing.T, cs kubernetes.Interface, name string, replicas int32) {
	t.Helper()
	labels := map[string]string{"app": name}
	_, err := cs.AppsV1().Deployments(ns).Create(ctx, &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "app:1"}}},
			},
		},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
}

func dump(evs []report.ScaleEvent) string {
	var b strings.Builder
	for _, e := range evs {
		fmt.Fprintf(&b, "\n  %6.2fs %-12s %-8s %g -> %g  %s", e.Seconds, e.Source, e.Kind, e.From, e.To, e.Reason)
	}
	return b.String()
}

// setupCluster creates what the script plays on: the namespace, a
// Deployment at 2 ready replicas with one pod not yet ready, the HPA KEDA
// would own, the ScaledObject CRD and a ScaledObject pointing at that HPA.
func setupCluster(ctx context.Context, t *testing.T, kube *testenv.KubeServer, cs kubernetes.Interface, dyn dynamic.Interface) {
	t.Helper()
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}))
	labels := map[string]string{"app": deploy}
	replicas := int32(2)
	must(cs.AppsV1().Deployments(ns).Create(ctx, &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: deploy},
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "model", Image: "inference:1"}}},
			},
		},
	}, metav1.CreateOptions{}))
	setDeploymentStatus(ctx, t, cs, 2, 2)
	must(cs.CoreV1().Pods(ns).Create(ctx, &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "ai-inference-7d9f-x1", Labels: labels},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "model", Image: "inference:1"}}},
	}, metav1.CreateOptions{}))

	minR := int32(2)
	must(cs.AutoscalingV2().HorizontalPodAutoscalers(ns).Create(ctx, &autoscalingv2.HorizontalPodAutoscaler{
		ObjectMeta: metav1.ObjectMeta{Name: hpaName},
		Spec: autoscalingv2.HorizontalPodAutoscalerSpec{
			ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Name: deploy},
			MinReplicas:    &minR, MaxReplicas: 20,
			Metrics: []autoscalingv2.MetricSpec{{
				Type: autoscalingv2.ExternalMetricSourceType,
				External: &autoscalingv2.ExternalMetricSource{
					Metric: autoscalingv2.MetricIdentifier{Name: "s0-redis-ai_request_queue"},
					Target: autoscalingv2.MetricTarget{Type: autoscalingv2.AverageValueMetricType, AverageValue: ptrQuantity("50")},
				},
			}},
		},
	}, metav1.CreateOptions{}))
	setHPADesired(ctx, t, cs, 2)

	ext := apiextclient.NewForConfigOrDie(kube.AdminConfig)
	preserve := true
	must(ext.ApiextensionsV1().CustomResourceDefinitions().Create(ctx, &apiextv1.CustomResourceDefinition{
		ObjectMeta: metav1.ObjectMeta{Name: "scaledobjects.keda.sh"},
		Spec: apiextv1.CustomResourceDefinitionSpec{
			Group: "keda.sh",
			Names: apiextv1.CustomResourceDefinitionNames{Plural: "scaledobjects", Singular: "scaledobject", Kind: "ScaledObject", ListKind: "ScaledObjectList", ShortNames: []string{"so"}},
			Scope: apiextv1.NamespaceScoped,
			Versions: []apiextv1.CustomResourceDefinitionVersion{{
				Name: "v1alpha1", Served: true, Storage: true,
				Schema:       &apiextv1.CustomResourceValidation{OpenAPIV3Schema: &apiextv1.JSONSchemaProps{Type: "object", XPreserveUnknownFields: &preserve}},
				Subresources: &apiextv1.CustomResourceSubresources{Status: &apiextv1.CustomResourceSubresourceStatus{}},
			}},
		},
	}, metav1.CreateOptions{}))
	so := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "keda.sh/v1alpha1", "kind": "ScaledObject",
		"metadata": map[string]any{"name": soName, "namespace": ns},
		"spec": map[string]any{
			"scaleTargetRef": map[string]any{"name": deploy}, "pollingInterval": int64(30), "cooldownPeriod": int64(120),
			"minReplicaCount": int64(2), "maxReplicaCount": int64(20),
			"triggers": []any{map[string]any{"type": "redis", "metadata": map[string]any{"listName": "ai_request_queue", "listLength": "50"}}},
		},
	}}
	// The new resource is served a moment after the CRD is created.
	deadline := time.Now().Add(20 * time.Second)
	for {
		_, err := dyn.Resource(observe.ScaledObjectResource).Namespace(ns).Create(ctx, so, metav1.CreateOptions{})
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("create ScaledObject: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	setScaledObjectActive(ctx, t, dyn, "False")
}

func ptrQuantity(s string) *resource.Quantity { q := resource.MustParse(s); return &q }

func setHPADesired(ctx context.Context, t *testing.T, cs kubernetes.Interface, desired int32) {
	t.Helper()
	h, err := cs.AutoscalingV2().HorizontalPodAutoscalers(ns).Get(ctx, hpaName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	h.Status.CurrentReplicas = 2
	h.Status.DesiredReplicas = desired
	h.Status.Conditions = []autoscalingv2.HorizontalPodAutoscalerCondition{{
		Type: autoscalingv2.AbleToScale, Status: corev1.ConditionTrue, Reason: "SucceededRescale",
		Message: "the HPA controller was able to update the target scale", LastTransitionTime: metav1.NewTime(time.Now().Add(-time.Hour)),
	}}
	if _, err := cs.AutoscalingV2().HorizontalPodAutoscalers(ns).UpdateStatus(ctx, h, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

func scaleDeployment(ctx context.Context, t *testing.T, cs kubernetes.Interface, replicas int32) {
	t.Helper()
	sc, err := cs.AppsV1().Deployments(ns).GetScale(ctx, deploy, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	sc.Spec.Replicas = replicas
	if _, err := cs.AppsV1().Deployments(ns).UpdateScale(ctx, deploy, sc, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

func setDeploymentStatus(ctx context.Context, t *testing.T, cs kubernetes.Interface, replicas, ready int32) {
	t.Helper()
	d, err := cs.AppsV1().Deployments(ns).Get(ctx, deploy, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	d.Status.Replicas, d.Status.UpdatedReplicas, d.Status.ReadyReplicas, d.Status.AvailableReplicas = replicas, replicas, ready, ready
	d.Status.ObservedGeneration = d.Generation
	if _, err := cs.AppsV1().Deployments(ns).UpdateStatus(ctx, d, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

func setPodReady(ctx context.Context, t *testing.T, cs kubernetes.Interface, name string) {
	t.Helper()
	p, err := cs.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: metav1.Now()}}
	if _, err := cs.CoreV1().Pods(ns).UpdateStatus(ctx, p, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

func setScaledObjectActive(ctx context.Context, t *testing.T, dyn dynamic.Interface, active string) {
	t.Helper()
	res := dyn.Resource(observe.ScaledObjectResource).Namespace(ns)
	so, err := res.Get(ctx, soName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	reason := map[string]string{"True": "ScalerActive", "False": "ScalerNotActive"}[active]
	so.Object["status"] = map[string]any{
		"hpaName": hpaName,
		"conditions": []any{
			map[string]any{"type": "Ready", "status": "True", "reason": "ScaledObjectReady", "message": "ScaledObject is defined correctly and is ready for scaling"},
			map[string]any{"type": "Active", "status": active, "reason": reason, "message": "Scaling is performed because triggers are active"},
			map[string]any{"type": "Fallback", "status": "False", "reason": "NoFallbackFound", "message": "No fallbacks are active on this scaled object"},
		},
	}
	if _, err := res.UpdateStatus(ctx, so, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

func emitEvent(ctx context.Context, t *testing.T, cs kubernetes.Interface, kind, name, typ, reason, msg string) {
	t.Helper()
	now := metav1.Now()
	_, err := cs.CoreV1().Events(ns).Create(ctx, &corev1.Event{
		ObjectMeta:     metav1.ObjectMeta{GenerateName: name + "."},
		InvolvedObject: corev1.ObjectReference{Kind: kind, Name: name, Namespace: ns, APIVersion: "autoscaling/v2"},
		Type:           typ, Reason: reason, Message: msg,
		FirstTimestamp: now, LastTimestamp: now, Count: 1,
		Source: corev1.EventSource{Component: "horizontal-pod-autoscaler"},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
}
