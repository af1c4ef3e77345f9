{{/* Name of one service's objects: <release>-<service>. */}}
{{- define "portal.name" -}}
{{- printf "%s-%s" .root.Release.Name .name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "portal.selector" -}}
app.kubernetes.io/name: {{ .name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- end -}}

{{- define "portal.labels" -}}
{{ include "portal.selector" . }}
app.kubernetes.io/part-of: portal
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version }}
{{- end -}}

{{- define "portal.image" -}}
{{- $registry := .root.Values.global.imageRegistry -}}
{{- $tag := default .root.Chart.AppVersion .root.Values.global.imageTag -}}
{{- if $registry }}{{ printf "%s/%s:%s" $registry .svc.image $tag }}{{ else }}{{ printf "%s:%s" .svc.image $tag }}{{ end -}}
{{- end -}}

{{/* Pod and container security, behind one switch (global.hardened). */}}
{{- define "portal.podSecurity" -}}
{{- if .Values.global.hardened }}
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
fsGroup: 10001
seccompProfile:
  type: RuntimeDefault
{{- end }}
{{- end -}}

{{- define "portal.containerSecurity" -}}
{{- if .Values.global.hardened }}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
runAsUser: 10001
capabilities:
  drop: [ALL]
{{- end }}
{{- end -}}

{{/* Environment every service gets (settings in the ConfigMap, secrets by reference). */}}
{{- define "portal.env" -}}
- name: MONGO_URI
  valueFrom:
    secretKeyRef:
      name: {{ .svc.mongoUriSecret.name }}
      key: {{ .svc.mongoUriSecret.key }}
{{- range $var, $ref := .svc.secretEnv }}
- name: {{ $var }}
  valueFrom:
    secretKeyRef:
      name: {{ $ref.name }}
      key: {{ $ref.key }}
{{- end }}
{{- end -}}
