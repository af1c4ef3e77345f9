{{- define "devdeps.labels" -}}
app.kubernetes.io/name: {{ .name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/part-of: portal-dev-deps
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version }}
{{- end -}}
{{- define "devdeps.selector" -}}
app.kubernetes.io/name: {{ .name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- end -}}
{{/* A hostPath PersistentVolume and the claim bound to it (cluster-scoped PV named after namespace and release). */}}
{{- define "devdeps.volume" -}}
apiVersion: v1
kind: PersistentVolume
metadata:
  name: {{ printf "%s-%s-%s" .root.Release.Namespace .root.Release.Name .name }}
  labels:
    {{- include "devdeps.labels" . | nindent 4 }}
spec:
  capacity: {storage: {{ .root.Values.storage.size }}}
  accessModes: [ReadWriteOnce]
  persistentVolumeReclaimPolicy: Retain
  storageClassName: ""
  claimRef: {namespace: {{ .root.Release.Namespace }}, name: {{ .name }}-data}
  hostPath:
    path: {{ printf "%s/%s/%s/%s" .root.Values.storage.hostPathRoot .root.Release.Namespace .root.Release.Name .name }}
    type: Directory
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: {{ .name }}-data
  namespace: {{ .root.Release.Namespace }}
  labels:
    {{- include "devdeps.labels" . | nindent 4 }}
spec:
  accessModes: [ReadWriteOnce]
  storageClassName: ""
  volumeName: {{ printf "%s-%s-%s" .root.Release.Namespace .root.Release.Name .name }}
  resources:
    requests: {storage: {{ .root.Values.storage.size }}}
{{- end -}}
