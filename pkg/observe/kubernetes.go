package observe

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/surge-sh/surge/pkg/report"
)

// ScaledObjectResource is KEDA's ScaledObject, read with the dynamic client
// so that surge needs no KEDA module.
var ScaledObjectResource = schema.GroupVersionResource{Group: "keda.sh", Version: "v1alpha1", Resource: "scaledobjects"}

// kubeSource reads the target Deployment, its autoscaler (an HPA, a KEDA
// ScaledObject or both), its Pods and the Events about them.
type kubeSource struct {
	cfg KubernetesConfig
	env Env

	initOnce sync.Once
	initErr  error
	client   kubernetes.Interface
	dyn      dynamic.Interface
	ns       string
	server   string

	mu sync.Mutex
	// hpaName is the HPA to read: the configured one, or the one the
	// ScaledObject owns.
	hpaName string
	// What the previous poll saw, to turn changes into events.
	podReady map[string]bool
	hpaConds map[string]string
	soConds  map[string]string
	triggers map[string]bool
	health   map[string]string
	watchErr string
	// The autoscaler's configuration as last read from each object.
	hpaInfo, soInfo *report.AutoscalerInfo
}

func newKubeSource(cfg KubernetesConfig, env Env) *kubeSource {
	return &kubeSource{cfg: cfg, env: env, hpaName: cfg.HPA}
}

func (k *kubeSource) meta() sourceMeta {
	k.mu.Lock()
	defer k.mu.Unlock()
	detail := fmt.Sprintf("deployment %s/%s", k.namespace(), k.cfg.Deployment)
	if k.hpaName != "" {
		detail += ", hpa " + k.hpaName
	}
	if k.cfg.ScaledObject != "" {
		detail += ", scaledobject " + k.cfg.ScaledObject
	}
	if k.server != "" {
		detail += " on " + k.server
	}
	if k.watchErr != "" {
		detail += "; events watch: " + k.watchErr
	}
	return sourceMeta{
		name: "kubernetes", kind: "kubernetes", detail: detail, optional: k.cfg.Optional, priority: 3,
		eventSource: func(signal string) string {
			if signal == SignalReplicasDesired {
				return "hpa"
			}
			return "deployment"
		},
	}
}

func (k *kubeSource) namespace() string {
	if k.ns != "" {
		return k.ns
	}
	if k.cfg.Namespace != "" {
		return k.cfg.Namespace
	}
	return "default"
}

// init builds the clients once: kubeconfig from --kubeconfig, the
// scenario, KUBECONFIG, in-cluster, then ~/.kube/config, in that order.
func (k *kubeSource) init() error {
	k.initOnce.Do(func() {
		if k.client != nil {
			return // injected by a test
		}
		rc, ns, err := restConfig(k.cfg, k.env)
		if err != nil {
			k.initErr = err
			return
		}
		rc = rest.CopyConfig(rc)
		rc.UserAgent = "surge"
		// A poll reads four or five objects; client-go's default of 5
		// requests per second would throttle a 1 s interval.
		rc.QPS, rc.Burst = 50, 100
		if k.client, err = kubernetes.NewForConfig(rc); err != nil {
			k.initErr = fmt.Errorf("kubernetes client: %w", err)
			return
		}
		if k.dyn, err = dynamic.NewForConfig(rc); err != nil {
			k.initErr = fmt.Errorf("kubernetes dynamic client: %w", err)
			return
		}
		k.mu.Lock()
		k.ns, k.server = ns, rc.Host
		k.mu.Unlock()
	})
	return k.initErr
}

func (k *kubeSource) check(ctx context.Context) error {
	if err := k.init(); err != nil {
		return err
	}
	ns := k.namespace()
	d, err := k.client.AppsV1().Deployments(ns).Get(ctx, k.cfg.Deployment, metav1.GetOptions{})
	if err != nil {
		return apiError(err, "get", "deployments.apps", k.cfg.Deployment, ns)
	}
	var errs []error
	if k.cfg.ScaledObject != "" {
		so, err := k.dyn.Resource(ScaledObjectResource).Namespace(ns).Get(ctx, k.cfg.ScaledObject, metav1.GetOptions{})
		if err != nil {
			errs = append(errs, apiError(err, "get", "scaledobjects.keda.sh", k.cfg.ScaledObject, ns))
		} else {
			k.resolveHPA(so)
			k.setScaledObjectInfo(so)
		}
	}
	k.mu.Lock()
	hpaName := k.hpaName
	k.mu.Unlock()
	if hpaName != "" {
		if hpa, err := k.client.AutoscalingV2().HorizontalPodAutoscalers(ns).Get(ctx, hpaName, metav1.GetOptions{}); err != nil {
			errs = append(errs, apiError(err, "get", "horizontalpodautoscalers.autoscaling", hpaName, ns))
		} else {
			k.setHPAInfo(hpa)
		}
	}
	sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
	if err != nil {
		errs = append(errs, fmt.Errorf("deployment %q: selector: %w", d.Name, err))
	} else if _, err := k.client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: sel.String(), Limit: 1}); err != nil {
		errs = append(errs, apiError(err, "list", "pods", "", ns))
	}
	if _, err := k.client.CoreV1().Events(ns).List(ctx, metav1.ListOptions{Limit: 1}); err != nil {
		errs = append(errs, apiError(err, "list", "events", "", ns))
	} else if err := k.canWatchEvents(ctx, ns); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// canWatchEvents asks the API server whether the events watch will be
// allowed, since a watch is only opened once the run has started. When
// the question itself cannot be asked, the run goes on: the watch falls
// back to listing, and its error shows in the source's detail.
func (k *kubeSource) canWatchEvents(ctx context.Context, ns string) error {
	review, err := k.client.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx, &authorizationv1.SelfSubjectAccessReview{
		Spec: authorizationv1.SelfSubjectAccessReviewSpec{ResourceAttributes: &authorizationv1.ResourceAttributes{
			Namespace: ns, Verb: "watch", Resource: "events",
		}},
	}, metav1.CreateOptions{})
	if err != nil || review.Status.Allowed {
		return nil
	}
	return fmt.Errorf("forbidden: cannot watch events in namespace %q (apply the read-only Role in docs/observe.md)", ns)
}

// poll reads the Deployment, the ScaledObject, the HPA and the Pods. What
// could be read counts even when another object failed.
func (k *kubeSource) poll(ctx context.Context, start, now time.Time) ([]reading, []timedEvent, error) {
	if err := k.init(); err != nil {
		return nil, nil, err
	}
	ns := k.namespace()
	var rs []reading
	var evs []timedEvent
	var errs []error

	d, err := k.client.AppsV1().Deployments(ns).Get(ctx, k.cfg.Deployment, metav1.GetOptions{})
	if err != nil {
		return nil, nil, apiError(err, "get", "deployments.apps", k.cfg.Deployment, ns)
	}
	rs = append(rs, deploymentReadings(d)...)

	if k.cfg.ScaledObject != "" {
		so, err := k.dyn.Resource(ScaledObjectResource).Namespace(ns).Get(ctx, k.cfg.ScaledObject, metav1.GetOptions{})
		if err != nil {
			rs = append(rs, reading{signal: "keda_active", unit: "bool", err: apiError(err, "get", "scaledobjects.keda.sh", k.cfg.ScaledObject, ns)})
		} else {
			k.resolveHPA(so)
			k.setScaledObjectInfo(so)
			r, e := k.scaledObject(so, now)
			rs, evs = append(rs, r...), append(evs, e...)
		}
	}
	k.mu.Lock()
	hpaName := k.hpaName
	k.mu.Unlock()
	if hpaName != "" {
		hpa, err := k.client.AutoscalingV2().HorizontalPodAutoscalers(ns).Get(ctx, hpaName, metav1.GetOptions{})
		if err != nil {
			rs = append(rs, reading{signal: SignalReplicasDesired, err: apiError(err, "get", "horizontalpodautoscalers.autoscaling", hpaName, ns)})
		} else {
			k.setHPAInfo(hpa)
			r, e := k.hpa(hpa, start, now)
			rs, evs = append(rs, r...), append(evs, e...)
		}
	}
	if sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector); err == nil {
		pods, err := k.client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: sel.String()})
		if err != nil {
			errs = append(errs, apiError(err, "list", "pods", "", ns))
		} else {
			evs = append(evs, k.pods(pods.Items, start, now)...)
		}
	}
	return rs, evs, errors.Join(errs...)
}

func deploymentReadings(d *appsv1.Deployment) []reading {
	spec := 1.0 // the API server's default for an unset spec.replicas
	if d.Spec.Replicas != nil {
		spec = float64(*d.Spec.Replicas)
	}
	q := "deployment/" + d.Name
	return []reading{
		{signal: SignalReplicas, query: q + " status.readyReplicas", value: float64(d.Status.ReadyReplicas)},
		{signal: SignalReplicasSpec, query: q + " spec.replicas", value: spec},
		{signal: "replicas_current", query: q + " status.replicas", value: float64(d.Status.Replicas)},
		{signal: "replicas_updated", query: q + " status.updatedReplicas", value: float64(d.Status.UpdatedReplicas)},
	}
}

// hpa reads the desired count, the metrics the HPA acted on, and turns
// condition changes (AbleToScale, ScalingActive, ScalingLimited) into events.
func (k *kubeSource) hpa(h *autoscalingv2.HorizontalPodAutoscaler, start, now time.Time) ([]reading, []timedEvent) {
	q := "hpa/" + h.Name
	rs := []reading{{signal: SignalReplicasDesired, query: q + " status.desiredReplicas", value: float64(h.Status.DesiredReplicas)}}
	for _, m := range h.Status.CurrentMetrics {
		if name, v, ok := metricValue(m); ok {
			rs = append(rs, reading{signal: "hpa_" + name, query: q + " status.currentMetrics", value: v})
		}
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	// The first time the HPA is read sets the baseline, whenever that is.
	first := k.hpaConds == nil
	if first {
		k.hpaConds = map[string]string{}
	}
	var evs []timedEvent
	for _, c := range h.Status.Conditions {
		key := string(c.Type)
		state := string(c.Status) + "/" + c.Reason
		prev := k.hpaConds[key]
		k.hpaConds[key] = state
		// On the first poll only a transition made since the start counts.
		if prev == state || first && !c.LastTransitionTime.Time.After(start) {
			continue
		}
		at := now
		if !c.LastTransitionTime.IsZero() && c.LastTransitionTime.Time.After(start) {
			at = c.LastTransitionTime.Time
		}
		evs = append(evs, timedEvent{at: at, ev: report.ScaleEvent{
			Reason: fmt.Sprintf("%s=%s (%s): %s", c.Type, c.Status, c.Reason, c.Message), Source: "hpa", Kind: "event",
		}})
	}
	return rs, evs
}

// metricValue turns an HPA current metric into a number: a utilisation in
// percent becomes a ratio, quantities become plain numbers.
func metricValue(m autoscalingv2.MetricStatus) (string, float64, bool) {
	var name string
	var cur autoscalingv2.MetricValueStatus
	switch {
	case m.Resource != nil:
		name, cur = string(m.Resource.Name), m.Resource.Current
	case m.ContainerResource != nil:
		name, cur = string(m.ContainerResource.Name), m.ContainerResource.Current
	case m.External != nil:
		name, cur = m.External.Metric.Name, m.External.Current
	case m.Pods != nil:
		name, cur = m.Pods.Metric.Name, m.Pods.Current
	case m.Object != nil:
		name, cur = m.Object.Metric.Name, m.Object.Current
	default:
		return "", 0, false
	}
	name = sanitize(name)
	switch {
	case cur.AverageUtilization != nil:
		return name + "_utilization", float64(*cur.AverageUtilization) / 100, true
	case cur.AverageValue != nil:
		return name, cur.AverageValue.AsApproximateFloat64(), true
	case cur.Value != nil:
		return name, cur.Value.AsApproximateFloat64(), true
	}
	return "", 0, false
}

// sanitize makes a metric name ("s0-redis-ai_request_queue") a signal name.
func sanitize(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}

// scaledObject reads KEDA's view: which HPA it owns, whether its triggers
// are active, and its Ready/Active/Fallback conditions, whose changes become
// events. KEDA's conditions carry no transition time, so the poll time is used.
func (k *kubeSource) scaledObject(so *unstructured.Unstructured, now time.Time) ([]reading, []timedEvent) {
	k.mu.Lock()
	defer k.mu.Unlock()
	var rs []reading
	var evs []timedEvent
	first := k.soConds == nil
	if first {
		k.soConds, k.triggers, k.health = map[string]string{}, map[string]bool{}, map[string]string{}
	}
	conds, _, _ := unstructured.NestedSlice(so.Object, "status", "conditions")
	for _, c := range conds {
		cm, ok := c.(map[string]any)
		if !ok {
			continue
		}
		typ, status := str(cm["type"]), str(cm["status"])
		if typ == "Active" {
			v := 0.0
			if status == "True" {
				v = 1
			}
			rs = append(rs, reading{signal: "keda_active", query: "scaledobject/" + so.GetName() + " Active", value: v, unit: "bool"})
		}
		state := status + "/" + str(cm["reason"])
		prev := k.soConds[typ]
		k.soConds[typ] = state
		if first || prev == state {
			continue
		}
		evs = append(evs, timedEvent{at: now, ev: report.ScaleEvent{
			Reason: fmt.Sprintf("%s=%s (%s): %s", typ, status, str(cm["reason"]), str(cm["message"])), Source: "scaledobject", Kind: "event",
		}})
	}
	activity, _, _ := unstructured.NestedMap(so.Object, "status", "triggersActivity")
	for _, name := range sortedKeys(activity) {
		m, _ := activity[name].(map[string]any)
		active, _ := m["isActive"].(bool)
		prev, seen := k.triggers[name]
		k.triggers[name] = active
		if first || seen && prev == active {
			continue
		}
		word := "inactive"
		if active {
			word = "active"
		}
		evs = append(evs, timedEvent{at: now, ev: report.ScaleEvent{
			Reason: fmt.Sprintf("trigger %s %s", name, word), Source: "scaledobject", Kind: "event",
		}})
	}
	// status.health: a scaler that starts failing (KEDA counts the
	// failures and, past a threshold, falls back) or recovers.
	health, _, _ := unstructured.NestedMap(so.Object, "status", "health")
	for _, name := range sortedKeys(health) {
		m, _ := health[name].(map[string]any)
		status := str(m["status"])
		prev, seen := k.health[name]
		k.health[name] = status
		if first || seen && prev == status || !seen && status == "Happy" {
			continue
		}
		evs = append(evs, timedEvent{at: now, ev: report.ScaleEvent{
			Reason: fmt.Sprintf("scaler %s health %s", name, status), Source: "scaledobject", Kind: "event",
		}})
	}
	return rs, evs
}

// resolveHPA finds the HPA a ScaledObject owns, unless one is configured.
func (k *kubeSource) resolveHPA(so *unstructured.Unstructured) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.cfg.HPA != "" {
		return
	}
	if name, _, _ := unstructured.NestedString(so.Object, "status", "hpaName"); name != "" {
		k.hpaName = name
	} else if k.hpaName == "" {
		// KEDA names the HPA it creates keda-hpa-<scaledobject>.
		k.hpaName = "keda-hpa-" + so.GetName()
	}
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// pods turns readiness changes of the target's Pods into events, at the
// Ready condition's transition time when it is known.
func (k *kubeSource) pods(pods []corev1.Pod, start, now time.Time) []timedEvent {
	k.mu.Lock()
	defer k.mu.Unlock()
	prev := k.podReady
	first := prev == nil
	cur := make(map[string]bool, len(pods))
	type change struct {
		at    time.Time
		name  string
		ready bool
	}
	var chs []change
	for _, p := range pods {
		ready, at := podReady(p)
		if p.DeletionTimestamp != nil {
			ready = false
		}
		cur[p.Name] = ready
		if first || prev[p.Name] == ready {
			continue
		}
		if at.IsZero() || !at.After(start) || !ready {
			at = now
		}
		chs = append(chs, change{at, p.Name, ready})
	}
	for name, was := range prev {
		if _, ok := cur[name]; !ok && was {
			chs = append(chs, change{now, name, false})
		}
	}
	k.podReady = cur
	sort.SliceStable(chs, func(i, j int) bool { return chs[i].at.Before(chs[j].at) })
	n := 0
	for _, was := range prev {
		if was {
			n++
		}
	}
	var evs []timedEvent
	for _, c := range chs {
		from := n
		word := "not ready"
		if c.ready {
			n++
			word = "ready"
		} else {
			n--
		}
		evs = append(evs, timedEvent{at: c.at, sized: true, ev: report.ScaleEvent{
			From: float64(from), To: float64(n), Reason: "pod " + c.name + " " + word, Source: "pod", Kind: "pod",
		}})
	}
	return evs
}

func podReady(p corev1.Pod) (bool, time.Time) {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue, c.LastTransitionTime.Time
		}
	}
	return false, time.Time{}
}
