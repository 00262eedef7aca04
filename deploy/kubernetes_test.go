package deploy_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"outbound/internal/directory"
)

// manifests are deploy/kubernetes's objects, each decoded strictly into its
// Kubernetes API type: a misspelt field or a wrong type fails here, not at
// kubectl apply.
type manifests struct {
	deployments []appsv1.Deployment
	services    []corev1.Service
	budgets     []policyv1.PodDisruptionBudget
	configMaps  map[string]corev1.ConfigMap
	secrets     map[string]corev1.Secret
}

func loadManifests(t *testing.T) manifests {
	t.Helper()
	dir := filepath.Join(repoRoot(t), "deploy", "kubernetes")
	var kustomization struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Labels     []struct {
			Pairs map[string]string `json:"pairs"`
		} `json:"labels"`
		Resources []string `json:"resources"`
		Images    []struct {
			Name    string `json:"name"`
			NewName string `json:"newName"`
			NewTag  string `json:"newTag"`
		} `json:"images"`
	}
	decode(t, "kustomization.yaml", read(t, filepath.Join(dir, "kustomization.yaml")), &kustomization)
	if kustomization.Kind != "Kustomization" || len(kustomization.Resources) == 0 {
		t.Fatalf("kustomization.yaml: kind %q with %d resources", kustomization.Kind, len(kustomization.Resources))
	}
	m := manifests{configMaps: map[string]corev1.ConfigMap{}, secrets: map[string]corev1.Secret{}}
	for _, file := range kustomization.Resources {
		for i, doc := range strings.Split(read(t, filepath.Join(dir, file)), "\n---\n") {
			name := file + " #" + string(rune('1'+i))
			var meta metav1.TypeMeta
			decodeLoose(t, name, doc, &meta)
			switch meta.Kind {
			case "Deployment":
				var d appsv1.Deployment
				decode(t, name, doc, &d)
				m.deployments = append(m.deployments, d)
			case "Service":
				var s corev1.Service
				decode(t, name, doc, &s)
				m.services = append(m.services, s)
			case "PodDisruptionBudget":
				var b policyv1.PodDisruptionBudget
				decode(t, name, doc, &b)
				m.budgets = append(m.budgets, b)
			case "ConfigMap":
				var c corev1.ConfigMap
				decode(t, name, doc, &c)
				m.configMaps[c.Name] = c
			case "Secret":
				var s corev1.Secret
				decode(t, name, doc, &s)
				m.secrets[s.Name] = s
			default:
				t.Fatalf("%s: kind %q (apiVersion %q) is not one this test decodes", name, meta.Kind, meta.APIVersion)
			}
		}
	}
	return m
}

func read(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func decode(t *testing.T, name, doc string, into any) {
	t.Helper()
	if err := yaml.UnmarshalStrict([]byte(doc), into); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

func decodeLoose(t *testing.T, name, doc string, into any) {
	t.Helper()
	if err := yaml.Unmarshal([]byte(doc), into); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

// The worker, gateway and desktop run as production expects: probes,
// resources, non-root on a read-only root filesystem, secrets and settings
// that exist, a disruption budget each, Services for the gateway and desktop.
func TestKubernetesManifests(t *testing.T) {
	m := loadManifests(t)
	byName := map[string]appsv1.Deployment{}
	for _, d := range m.deployments {
		byName[d.Name] = d
		checkPod(t, m, d)
	}
	for _, name := range []string{"outbound-worker", "outbound-gateway", "outbound-desktop"} {
		d, ok := byName[name]
		if !ok {
			t.Errorf("no Deployment %s", name)
			continue
		}
		if !slices.ContainsFunc(m.budgets, func(b policyv1.PodDisruptionBudget) bool { return selects(b.Spec.Selector, d) }) {
			t.Errorf("no PodDisruptionBudget selects %s", name)
		}
	}
	for _, name := range []string{"outbound-gateway", "outbound-desktop"} {
		if !slices.ContainsFunc(m.services, func(s corev1.Service) bool {
			return s.Name == name && selects(&metav1.LabelSelector{MatchLabels: s.Spec.Selector}, byName[name])
		}) {
			t.Errorf("no Service selects %s", name)
		}
	}
	checkWorkerDirectory(t, m, byName["outbound-worker"])
}

func checkPod(t *testing.T, m manifests, d appsv1.Deployment) {
	t.Helper()
	pod := d.Spec.Template.Spec
	if sc := pod.SecurityContext; sc == nil || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot {
		t.Errorf("%s: the pod may run as root", d.Name)
	}
	if !selects(d.Spec.Selector, d) {
		t.Errorf("%s: its selector does not select its own pods", d.Name)
	}
	for _, c := range pod.Containers {
		sc := c.SecurityContext
		if sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem ||
			sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
			t.Errorf("%s/%s: want a read-only root filesystem and no privilege escalation", d.Name, c.Name)
		}
		if c.LivenessProbe == nil || c.ReadinessProbe == nil || c.ReadinessProbe.HTTPGet == nil || c.ReadinessProbe.HTTPGet.Path != "/readyz" {
			t.Errorf("%s/%s: want a liveness probe and a readiness probe on /readyz", d.Name, c.Name)
		}
		if c.Resources.Requests.Cpu().IsZero() || c.Resources.Requests.Memory().IsZero() || c.Resources.Limits.Memory().IsZero() {
			t.Errorf("%s/%s: want CPU and memory requests and a memory limit", d.Name, c.Name)
		}
		for _, from := range c.EnvFrom {
			if ref := from.SecretRef; ref != nil && m.secrets[ref.Name].Name == "" {
				t.Errorf("%s/%s: no Secret %s", d.Name, c.Name, ref.Name)
			}
			if ref := from.ConfigMapRef; ref != nil && m.configMaps[ref.Name].Name == "" {
				t.Errorf("%s/%s: no ConfigMap %s", d.Name, c.Name, ref.Name)
			}
		}
	}
}

// The worker's --directory files are the directory ConfigMap's keys, and
// each is a tenant directory the worker accepts.
func checkWorkerDirectory(t *testing.T, m manifests, worker appsv1.Deployment) {
	t.Helper()
	cm := m.configMaps["outbound-directory"]
	if len(cm.Data) == 0 {
		t.Fatal("no tenant directory in ConfigMap outbound-directory")
	}
	for key, data := range cm.Data {
		if _, err := directory.Parse(key, []byte(data)); err != nil {
			t.Errorf("ConfigMap outbound-directory: %v", err)
		}
	}
	if len(worker.Spec.Template.Spec.Containers) == 0 {
		t.Fatal("no worker container")
	}
	args := worker.Spec.Template.Spec.Containers[0].Command
	for i, arg := range args {
		if arg == "--directory" && i+1 < len(args) {
			if _, ok := cm.Data[filepath.Base(args[i+1])]; !ok || !strings.HasPrefix(args[i+1], "/etc/outbound/directory/") {
				t.Errorf("the worker serves %s, which the directory ConfigMap does not hold", args[i+1])
			}
		}
	}
}

func selects(sel *metav1.LabelSelector, d appsv1.Deployment) bool {
	if sel == nil || len(sel.MatchLabels) == 0 {
		return false
	}
	for k, v := range sel.MatchLabels {
		if d.Spec.Template.Labels[k] != v {
			return false
		}
	}
	return true
}
