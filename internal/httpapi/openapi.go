package httpapi

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"

	"github.com/gin-gonic/gin"
	"go.yaml.in/yaml/v3"

	"github.com/livc/livc-broker/broker"
)

// openapiYAML is the OpenAPI 3.1 description of this API, written by hand.
// Its tests hold it to the routes of New and the end-to-end tests hold every
// answer they see to it.
//
//go:embed openapi.yaml
var openapiYAML []byte

// OpenAPI returns the OpenAPI 3.1 description of the API as JSON, the body
// of GET /openapi.json. It is computed once.
var OpenAPI = sync.OnceValues(func() ([]byte, error) {
	var doc any
	if err := yaml.Unmarshal(openapiYAML, &doc); err != nil {
		return nil, fmt.Errorf("openapi.yaml: %w", err)
	}
	doc, err := jsonValue(doc)
	if err != nil {
		return nil, fmt.Errorf("openapi.yaml: %w", err)
	}
	return json.Marshal(doc)
})

// jsonValue checks that a decoded YAML value has a JSON form: string keys
// only, and no YAML-only scalar such as a timestamp.
func jsonValue(v any) (any, error) {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			y, err := jsonValue(x)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", k, err)
			}
			v[k] = y
		}
		return v, nil
	case []any:
		for i, x := range v {
			y, err := jsonValue(x)
			if err != nil {
				return nil, fmt.Errorf("[%d]: %w", i, err)
			}
			v[i] = y
		}
		return v, nil
	case string, bool, int, float64, nil:
		return v, nil
	}
	return nil, fmt.Errorf("a %T has no JSON form (quote it, or quote the keys of its mapping)", v)
}

// openapi answers GET /openapi.json: no token, not audited.
func (g *gateway) openapi(*gin.Context, *broker.Request) (int, any, error) {
	doc, err := OpenAPI()
	if err != nil {
		return 0, nil, broker.Wrap(broker.KindInternal, err, "")
	}
	return http.StatusOK, rawJSON(doc), nil
}
