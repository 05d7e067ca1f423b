// Evaluates PromQL with Prometheus' own engine (github.com/prometheus/prometheus/promql) over
// sample series, so a dashboard panel, adapter rule or KEDA query that cannot run fails CI.
// Cases come from a JSON file named by HVA_PROMQL_CASES (charts/test/promql.test.ts writes it
// from the chart's rendered dashboard and rules): {"load": "<promqltest load block>",
// "end": <unix seconds>, "queries": [{"name": "...", "expr": "...", "wantSeries": true}]}.
package promql

import (
	"context"
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/prometheus/prometheus/promql"
	"github.com/prometheus/prometheus/promql/promqltest"
)

type query struct {
	Name       string `json:"name"`
	Expr       string `json:"expr"`
	WantSeries bool   `json:"wantSeries"`
}

type cases struct {
	Load    string  `json:"load"`
	End     int64   `json:"end"`
	Queries []query `json:"queries"`
}

func TestQueries(t *testing.T) {
	path := os.Getenv("HVA_PROMQL_CASES")
	if path == "" {
		t.Fatal("HVA_PROMQL_CASES is not set")
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var c cases
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatal(err)
	}
	if len(c.Queries) == 0 {
		t.Fatal("no queries")
	}
	storage := promqltest.LoadedStorage(t, c.Load)
	t.Cleanup(func() { _ = storage.Close() })
	// The engine as a default Prometheus server runs it (no feature flags).
	engine := promqltest.NewTestEngineWithOpts(t, promql.EngineOpts{
		MaxSamples:    1_000_000,
		Timeout:       time.Minute,
		LookbackDelta: 5 * time.Minute,
	})
	end := time.Unix(c.End, 0)
	for _, q := range c.Queries {
		t.Run(q.Name, func(t *testing.T) {
			// As Grafana asks: a range query over the last 10 minutes, 30 s steps.
			rq, err := engine.NewRangeQuery(context.Background(), storage, nil, q.Expr, end.Add(-10*time.Minute), end, 30*time.Second)
			if err != nil {
				t.Fatalf("%s: does not parse: %v\n%s", q.Name, err, q.Expr)
			}
			defer rq.Close()
			res := rq.Exec(context.Background())
			if res.Err != nil {
				t.Fatalf("%s: cannot run: %v\n%s", q.Name, res.Err, q.Expr)
			}
			matrix, err := res.Matrix()
			if err != nil {
				t.Fatalf("%s: %v", q.Name, err)
			}
			if q.WantSeries && len(matrix) == 0 {
				t.Fatalf("%s: no series over the sample data\n%s", q.Name, q.Expr)
			}
		})
	}
}
