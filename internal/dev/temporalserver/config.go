package temporalserver

import (
	"time"

	"go.temporal.io/server/common/cluster"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/dynamicconfig"
	"go.temporal.io/server/common/membership/static"
	"go.temporal.io/server/common/primitives"
	"go.temporal.io/server/temporal"
)

const clusterName = "active"

// ports holds every port one server listens on. Only frontend and ui are
// user-facing; the rest are picked free so servers never collide.
type ports struct {
	frontend, frontendHTTP, history, matching, worker, ui int
}

func pickPorts(o Options) (ports, error) {
	var p ports
	var err error
	if p.frontend, err = portOrFree(o.Port); err != nil {
		return p, err
	}
	for _, dst := range []*int{&p.frontendHTTP, &p.history, &p.matching, &p.worker} {
		if *dst, err = freePort(); err != nil {
			return p, err
		}
	}
	if o.UIPort != NoUI {
		p.ui, err = portOrFree(o.UIPort)
	}
	return p, err
}

func serverConfig(p ports, sqlCfg *config.SQL) *config.Config {
	var c config.Config
	c.Global.Membership.MaxJoinDuration = 30 * time.Second
	c.Global.Membership.BroadcastAddress = localhost
	// Metrics stay nil (no-op handler) and pprof port 0 (off): neither is
	// worth a listening port in a dev server.
	c.Persistence = config.Persistence{
		DefaultStore:     "sqlite",
		VisibilityStore:  "sqlite",
		NumHistoryShards: 1,
		DataStores:       map[string]config.DataStore{"sqlite": {SQL: sqlCfg}},
	}
	c.ClusterMetadata = clusterConfig(p)
	c.DCRedirectionPolicy.Policy = "noop"
	c.Services = map[string]config.Service{
		"frontend": service(p.frontend, p.frontendHTTP),
		"history":  service(p.history, 0),
		"matching": service(p.matching, 0),
		"worker":   service(p.worker, 0),
	}
	c.Archival.History.State = "disabled"
	c.Archival.Visibility.State = "disabled"
	c.NamespaceDefaults.Archival.History.State = "disabled"
	c.NamespaceDefaults.Archival.Visibility.State = "disabled"
	// The server's internal worker service dials this address.
	c.PublicClient.HostPort = hostPort(p.frontend)
	return &c
}

func clusterConfig(p ports) *cluster.Config {
	return &cluster.Config{
		FailoverVersionIncrement: 10,
		MasterClusterName:        clusterName,
		CurrentClusterName:       clusterName,
		ClusterInformation: map[string]cluster.ClusterInformation{
			clusterName: {
				Enabled:                true,
				InitialFailoverVersion: 1,
				RPCAddress:             hostPort(p.frontend),
				HTTPAddress:            hostPort(p.frontendHTTP),
			},
		},
	}
}

func service(grpcPort, httpPort int) config.Service {
	var s config.Service
	s.RPC.GRPCPort = grpcPort
	s.RPC.HTTPPort = httpPort
	s.RPC.BindOnIP = localhost
	return s
}

// staticHosts replaces ringpop membership: with everything in one process
// there is nothing to discover, and it saves a membership port per service.
func staticHosts(p ports) temporal.ServerOption {
	one := func(port int) static.Hosts { return static.SingleLocalHost(hostPort(port)) }
	return temporal.WithStaticHosts(map[primitives.ServiceName]static.Hosts{
		primitives.FrontendService: one(p.frontend),
		primitives.HistoryService:  one(p.history),
		primitives.MatchingService: one(p.matching),
		primitives.WorkerService:   one(p.worker),
	})
}

func dynamicConfig() dynamicconfig.StaticClient {
	return dynamicconfig.StaticClient{
		// The UI lists and counts workflows on every page; the default of 10
		// visibility requests/s per namespace makes it flash rate-limit errors.
		dynamicconfig.FrontendMaxNamespaceVisibilityRPSPerInstance.Key(): 100,
		// The default (128k mutable states) is sized for production hosts.
		dynamicconfig.HistoryCacheHostLevelMaxSize.Key(): 8192,
	}
}
