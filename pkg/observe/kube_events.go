package observe

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/surge-sh/surge/pkg/report"
)

// watchRetry is the pause before the events watch is re-established after
// it broke (API server restarting, watch expired).
const watchRetry = time.Second

// watch follows the Events of the namespace during the run, since events
// expire and a list at the end could miss them. It lists first, to catch
// what happened between the start and the watch, then watches from that
// list's resourceVersion, and starts over when the watch ends.
func (k *kubeSource) watch(ctx context.Context, start time.Time, emit func(timedEvent)) {
	if err := k.init(); err != nil {
		return
	}
	ns := k.namespace()
	events := k.client.CoreV1().Events(ns)
	seen := map[string]bool{}
	for ctx.Err() == nil {
		err := func() error {
			list, err := events.List(ctx, metav1.ListOptions{})
			if err != nil {
				return apiError(err, "list", "events", "", ns)
			}
			for i := range list.Items {
				k.consider(&list.Items[i], start, seen, emit)
			}
			w, err := events.Watch(ctx, metav1.ListOptions{ResourceVersion: list.ResourceVersion})
			if err != nil {
				return apiError(err, "watch", "events", "", ns)
			}
			defer w.Stop()
			k.setWatchErr("")
			for {
				var e watch.Event
				var open bool
				select {
				case <-ctx.Done():
					return nil
				case e, open = <-w.ResultChan():
				}
				if !open {
					return nil
				}
				switch e.Type {
				case watch.Added, watch.Modified:
					if ev, ok := e.Object.(*corev1.Event); ok {
						k.consider(ev, start, seen, emit)
					}
				case watch.Error:
					return nil
				}
			}
		}()
		if err != nil && ctx.Err() == nil {
			k.setWatchErr(err.Error())
		}
		select {
		case <-ctx.Done():
		case <-time.After(watchRetry):
		}
	}
}

func (k *kubeSource) setWatchErr(s string) {
	k.mu.Lock()
	k.watchErr = s
	k.mu.Unlock()
}

// consider emits an event about the target or its autoscaler once per
// occurrence (a repeated event bumps its count), if it happened during the run.
func (k *kubeSource) consider(ev *corev1.Event, start time.Time, seen map[string]bool, emit func(timedEvent)) {
	if !k.concerns(ev.InvolvedObject) {
		return
	}
	at := eventTime(ev)
	// Event timestamps have whole seconds: one from the start's second counts.
	if at.Before(start.Truncate(time.Second)) {
		return
	}
	key := string(ev.UID) + "/" + strconv.Itoa(int(ev.Count))
	if ev.Series != nil {
		key += "/" + strconv.Itoa(int(ev.Series.Count))
	}
	if seen[key] {
		return
	}
	seen[key] = true
	emit(eventFromKube(ev, at))
}

func (k *kubeSource) concerns(o corev1.ObjectReference) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	switch o.Kind {
	case "Deployment":
		return o.Name == k.cfg.Deployment
	case "HorizontalPodAutoscaler":
		return o.Name != "" && o.Name == k.hpaName
	case "ScaledObject":
		return o.Name != "" && o.Name == k.cfg.ScaledObject
	}
	return false
}

func eventTime(ev *corev1.Event) time.Time {
	switch {
	case ev.Series != nil && !ev.Series.LastObservedTime.IsZero():
		return ev.Series.LastObservedTime.Time
	case !ev.LastTimestamp.IsZero():
		return ev.LastTimestamp.Time
	case !ev.EventTime.IsZero():
		return ev.EventTime.Time
	case !ev.FirstTimestamp.IsZero():
		return ev.FirstTimestamp.Time
	}
	return ev.CreationTimestamp.Time
}

var (
	// SuccessfulRescale: "New size: 7; reason: external metric ... above target".
	newSizeRE = regexp.MustCompile(`New size: (\d+)`)
	// KEDAScaleTargetActivated: "Scaled apps/v1.Deployment ns/name from 0 to 2".
	fromToRE = regexp.MustCompile(`from (\d+) to (\d+)`)
)

// eventFromKube turns an Event into a timeline entry, with the replica
// counts its message names.
func eventFromKube(ev *corev1.Event, at time.Time) timedEvent {
	msg := strings.TrimSpace(ev.Message)
	te := timedEvent{at: at, ev: report.ScaleEvent{Reason: ev.Reason + ": " + msg, Source: "event", Kind: "event"}}
	if m := fromToRE.FindStringSubmatch(msg); m != nil {
		from, _ := strconv.Atoi(m[1])
		to, _ := strconv.Atoi(m[2])
		te.ev.From, te.ev.To, te.sized = float64(from), float64(to), true
	} else if m := newSizeRE.FindStringSubmatch(msg); m != nil {
		to, _ := strconv.Atoi(m[1])
		te.ev.To, te.toOnly = float64(to), true
	}
	return te
}
