// hva-metrics-adapter: a custom-metrics API server (custom.metrics.k8s.io, built on
// sigs.k8s.io/custom-metrics-apiserver) for integration tests. It serves per-pod values that a
// test sets over a loopback HTTP endpoint, standing in for Prometheus + prometheus-adapter:
//
//	PUT http://127.0.0.1:<--values-port>/values?namespace=ns&pod=name&metric=hva_active_calls&value=12
//
// A pod that matches the HPA's selector but has no value set reports 0 (a new pod has no calls).
// Only pods are described; only the metrics a test has set are listed.
package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	apimeta "k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/component-base/logs"
	"k8s.io/klog/v2"
	"k8s.io/metrics/pkg/apis/custom_metrics"

	basecmd "sigs.k8s.io/custom-metrics-apiserver/pkg/cmd"
	"sigs.k8s.io/custom-metrics-apiserver/pkg/provider"
	"sigs.k8s.io/custom-metrics-apiserver/pkg/provider/helpers"
)

var podsResource = schema.GroupResource{Resource: "pods"}

type valueKey struct{ namespace, pod, metric string }

// podValues is the CustomMetricsProvider: a map the HTTP endpoint writes and the API reads.
type podValues struct {
	mapper apimeta.RESTMapper
	client dynamic.Interface

	mu      sync.RWMutex
	values  map[valueKey]resource.Quantity
	metrics map[string]bool
}

func (p *podValues) set(key valueKey, value resource.Quantity) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.values[key] = value
	p.metrics[key.metric] = true
}

func (p *podValues) metricValue(namespace, pod string, info provider.CustomMetricInfo) (*custom_metrics.MetricValue, error) {
	ref, err := helpers.ReferenceFor(p.mapper, types.NamespacedName{Namespace: namespace, Name: pod}, info)
	if err != nil {
		return nil, err
	}
	p.mu.RLock()
	value, ok := p.values[valueKey{namespace, pod, info.Metric}]
	p.mu.RUnlock()
	if !ok {
		value = resource.MustParse("0")
	}
	return &custom_metrics.MetricValue{
		DescribedObject: ref,
		Metric:          custom_metrics.MetricIdentifier{Name: info.Metric},
		Timestamp:       metav1.Now(),
		Value:           value,
	}, nil
}

func (p *podValues) known(info provider.CustomMetricInfo) error {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if info.GroupResource != podsResource || !info.Namespaced || !p.metrics[info.Metric] {
		return provider.NewMetricNotFoundError(info.GroupResource, info.Metric)
	}
	return nil
}

func (p *podValues) GetMetricByName(_ context.Context, name types.NamespacedName, info provider.CustomMetricInfo, _ labels.Selector) (*custom_metrics.MetricValue, error) {
	if err := p.known(info); err != nil {
		return nil, err
	}
	return p.metricValue(name.Namespace, name.Name, info)
}

func (p *podValues) GetMetricBySelector(_ context.Context, namespace string, selector labels.Selector, info provider.CustomMetricInfo, _ labels.Selector) (*custom_metrics.MetricValueList, error) {
	if err := p.known(info); err != nil {
		return nil, err
	}
	names, err := helpers.ListObjectNames(p.mapper, p.client, namespace, selector, info)
	if err != nil {
		return nil, err
	}
	list := &custom_metrics.MetricValueList{Items: make([]custom_metrics.MetricValue, 0, len(names))}
	for _, name := range names {
		value, err := p.metricValue(namespace, name, info)
		if err != nil {
			return nil, err
		}
		list.Items = append(list.Items, *value)
	}
	return list, nil
}

func (p *podValues) ListAllMetrics() []provider.CustomMetricInfo {
	p.mu.RLock()
	defer p.mu.RUnlock()
	infos := make([]provider.CustomMetricInfo, 0, len(p.metrics))
	for metric := range p.metrics {
		infos = append(infos, provider.CustomMetricInfo{GroupResource: podsResource, Namespaced: true, Metric: metric})
	}
	return infos
}

// serveValues accepts PUT /values?namespace=&pod=&metric=&value= on loopback only.
func (p *podValues) serveValues(listener net.Listener) error {
	mux := http.NewServeMux()
	mux.HandleFunc("/values", func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPut {
			http.Error(w, "PUT only", http.StatusMethodNotAllowed)
			return
		}
		q := r.URL.Query()
		key := valueKey{q.Get("namespace"), q.Get("pod"), q.Get("metric")}
		if key.namespace == "" || key.pod == "" || key.metric == "" {
			http.Error(w, "namespace, pod and metric are required", http.StatusBadRequest)
			return
		}
		value, err := resource.ParseQuantity(q.Get("value"))
		if err != nil {
			http.Error(w, fmt.Sprintf("bad value: %v", err), http.StatusBadRequest)
			return
		}
		p.set(key, value)
		w.WriteHeader(http.StatusNoContent)
	})
	server := &http.Server{Handler: mux, ReadHeaderTimeout: 3 * time.Second}
	return server.Serve(listener)
}

func main() {
	logs.InitLogs()
	defer logs.FlushLogs()

	adapter := &basecmd.AdapterBase{Name: "hva-metrics-adapter"}
	var valuesPort int
	adapter.Flags().IntVar(&valuesPort, "values-port", 0, "loopback port of the PUT /values endpoint")
	logs.AddFlags(adapter.Flags())
	if err := adapter.Flags().Parse(os.Args); err != nil {
		klog.Fatalf("unable to parse flags: %v", err)
	}
	client, err := adapter.DynamicClient()
	if err != nil {
		klog.Fatalf("unable to construct dynamic client: %v", err)
	}
	mapper, err := adapter.RESTMapper()
	if err != nil {
		klog.Fatalf("unable to construct REST mapper: %v", err)
	}
	values := &podValues{mapper: mapper, client: client, values: map[valueKey]resource.Quantity{}, metrics: map[string]bool{}}
	adapter.WithCustomMetrics(values)

	listener, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", valuesPort))
	if err != nil {
		klog.Fatalf("unable to listen for values: %v", err)
	}
	go func() { klog.Fatal(values.serveValues(listener)) }()
	if err := adapter.Run(context.Background()); err != nil {
		klog.Fatalf("unable to run the metrics adapter: %v", err)
	}
}
