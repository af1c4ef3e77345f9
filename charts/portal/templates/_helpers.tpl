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
app.kubernetes.io/component: {{ .component | default "service" }}
app.kubernetes.io/part-of: portal
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version }}
{{- end -}}

{{- define "portal.image" -}}
{{- $registry := .root.Values.global.imageRegistry -}}
{{- $tag := .svc.imageTag | default .root.Values.global.imageTag | default .root.Chart.AppVersion -}}
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

{{/* Labels of the release's shared objects (Job, Ingress, policies, rules): name = what the object is. */}}
{{- define "portal.releaseLabels" -}}
{{ include "portal.labels" (dict "root" .root "name" .name "component" (.component | default "platform")) }}
{{- end -}}

{{/* Scheduling and pull knobs: global values merged with the service's own (the service wins). */}}
{{- define "portal.scheduling" -}}
{{- $g := .root.Values.global -}}
{{- $s := .svc | default dict -}}
{{- with (concat $g.imagePullSecrets ($s.imagePullSecrets | default list)) }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with (merge (dict) ($s.nodeSelector | default dict) $g.nodeSelector) }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with (concat $g.tolerations ($s.tolerations | default list)) }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with ($s.affinity | default $g.affinity) }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/*
Secrets mounted as files (services.<name>.secretFiles): the variables pointing into them, the mounts, the
volumes. Entries with an empty `secret` are left out. With `job` set (the migrations Job), only entries
marked `migrations`, and volumes named <service>-<entry> since one Pod holds every service's container.
*/}}
{{- define "portal.secretFileEnv" -}}
{{- range $entry, $f := .svc.secretFiles }}{{ if and $f.secret (or (not $.job) $f.migrations) }}
{{- range $var, $file := $f.env }}
- {name: {{ $var }}, value: {{ clean (printf "/var/run/secrets/portal/%s/%s" $entry $file) | quote }}}
{{- end }}
{{- end }}{{ end }}
{{- end -}}

{{- define "portal.secretFileMounts" -}}
{{- range $entry, $f := .svc.secretFiles }}{{ if and $f.secret (or (not $.job) $f.migrations) }}
- {name: {{ if $.job }}{{ $.name }}-{{ end }}{{ $entry }}, mountPath: /var/run/secrets/portal/{{ $entry }}, readOnly: true}
{{- end }}{{ end }}
{{- end -}}

{{- define "portal.secretFileVolumes" -}}
{{- range $entry, $f := .svc.secretFiles }}{{ if and $f.secret (or (not $.job) $f.migrations) }}
- name: {{ if $.job }}{{ $.name }}-{{ end }}{{ $entry }}
  secret:
    secretName: {{ $f.secret }}
    defaultMode: 0400
{{- end }}{{ end }}
{{- end -}}

{{/* The token keys' URL: the service marked servesJwks. */}}
{{- define "portal.jwksUrl" -}}
{{- range $name, $svc := .Values.services }}{{ if $svc.servesJwks -}}
{{ printf "http://%s-%s:%v/.well-known/jwks.json" $.Release.Name $name $svc.httpPort }}
{{- end }}{{ end }}
{{- end -}}

{{/* Values that moved: fail with the new place rather than ignore them (chart 0.2.0). */}}
{{- define "portal.checkMovedValues" -}}
{{- $moved := dict "signingKeysSecret" "secretFiles.signing-keys.secret" "webPushKeySecret" "secretFiles.webpush.secret" "fcmServiceAccountSecret" "secretFiles.fcm.secret" -}}
{{- range $name, $svc := .Values.services }}
{{- range $old, $new := $moved }}
{{- if hasKey $svc $old }}{{ fail (printf "services.%s.%s moved to services.%s.%s (chart 0.2.0; see the chart README, Upgrading)" $name $old $name $new) }}{{ end }}
{{- end }}
{{- end }}
{{- end -}}

{{/*
Kafka credentials (ADR 7), with SASL_SSL: each service signs in as the SCRAM user named after it, with key
`password` of Secret <userSecretPrefix><user> (what a Strimzi KafkaUser makes), and trusts the CA of
kafka.caSecret. Called with .user (the principal), .volume (a prefix for the volumes of the Job's Pod) and
.withUser (the username as a variable too: the services have it in their ConfigMap).
*/}}
{{- define "portal.kafkaEnv" -}}
{{- if and (eq .root.Values.kafka.securityProtocol "SASL_SSL") (not .off) }}
{{- if .withUser }}
- {name: KAFKA_SASL_USERNAME, value: {{ .user | quote }}}
{{- end }}
- {name: KAFKA_SASL_PASSWORD_FILE, value: /var/run/secrets/portal/kafka-user/password}
- {name: KAFKA_CA_FILE, value: /var/run/secrets/portal/kafka-ca/ca.crt}
{{- end }}
{{- end -}}

{{- define "portal.kafkaMounts" -}}
{{- if and (eq .root.Values.kafka.securityProtocol "SASL_SSL") (not .off) }}
- {name: {{ .volume }}kafka-user, mountPath: /var/run/secrets/portal/kafka-user, readOnly: true}
- {name: {{ .volume }}kafka-ca, mountPath: /var/run/secrets/portal/kafka-ca, readOnly: true}
{{- end }}
{{- end -}}

{{- define "portal.kafkaVolumes" -}}
{{- $k := .root.Values.kafka }}
{{- if eq $k.securityProtocol "SASL_SSL" }}
- name: {{ .volume }}kafka-user
  secret:
    secretName: {{ printf "%s%s" $k.userSecretPrefix .user }}
    items: [{key: password, path: password}]
    defaultMode: 0400
- name: {{ .volume }}kafka-ca
  secret:
    secretName: {{ $k.caSecret.name }}
    items: [{key: {{ $k.caSecret.key }}, path: ca.crt}]
    defaultMode: 0444
{{- end }}
{{- end -}}

{{/*
gRPC mutual TLS (ADR 8): the service's certificate, key and CA from Secret <release>-<service>-grpc-tls (what
the Certificate of grpc-certificates.yaml makes), mounted where GRPC_TLS_* point. Called with .root and .name.
*/}}
{{- define "portal.grpcTlsSecret" -}}
{{ printf "%s-%s-grpc-tls" .root.Release.Name .name }}
{{- end -}}

{{- define "portal.grpcTlsEnv" -}}
{{- if and .root.Values.grpcTls.enabled .svc.grpcPort }}
- {name: GRPC_TLS_CERT_FILE, value: /var/run/secrets/portal/grpc-tls/tls.crt}
- {name: GRPC_TLS_KEY_FILE, value: /var/run/secrets/portal/grpc-tls/tls.key}
- {name: GRPC_TLS_CA_FILE, value: /var/run/secrets/portal/grpc-tls/ca.crt}
{{- end }}
{{- end -}}

{{- define "portal.grpcTlsMounts" -}}
{{- if and .root.Values.grpcTls.enabled .svc.grpcPort }}
- {name: grpc-tls, mountPath: /var/run/secrets/portal/grpc-tls, readOnly: true}
{{- end }}
{{- end -}}

{{- define "portal.grpcTlsVolumes" -}}
{{- if and .root.Values.grpcTls.enabled .svc.grpcPort }}
- name: grpc-tls
  secret:
    secretName: {{ include "portal.grpcTlsSecret" . }}
    defaultMode: 0400
{{- end }}
{{- end -}}

{{/* What every pod of the release may reach: DNS, Kafka and MongoDB (networkPolicy.egress). */}}
{{- define "portal.egressBase" -}}
{{- $e := .Values.networkPolicy.egress -}}
- to:
    {{- toYaml $e.dns | nindent 4 }}
  ports: [{port: 53, protocol: UDP}, {port: 53, protocol: TCP}]
{{- range $target := list $e.kafka $e.mongodb }}
- ports:
    {{- range $port := $target.ports }}
    - {port: {{ $port }}, protocol: TCP}
    {{- end }}
  {{- with $target.to }}
  to:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end }}
{{- end -}}

{{/* A service's settings (its ConfigMap's data), from a dict of root, name and svc. The Deployment carries
their hash, so an upgrade that changes any of them, release-wide ones included, rolls that service's pods. */}}
{{- define "portal.config" -}}
HTTP_HOST: "0.0.0.0"
HTTP_PORT: {{ $.svc.httpPort | quote }}
MONGO_DB: {{ printf "%s%s" $.root.Values.mongoDatabasePrefix ($.name | replace "-" "_") | quote }}
LOG_LEVEL: {{ $.root.Values.logLevel | quote }}
TRUSTED_PROXY_HOPS: {{ $.root.Values.trustedProxyHops | quote }}
{{- range $callee := $.svc.httpCalls }}
{{- $target := index $.root.Values.services $callee }}
{{ upper (replace "-" "_" $callee) }}_URL: {{ printf "http://%s-%s:%v" $.root.Release.Name $callee $target.httpPort | quote }}
{{- end }}
{{- if ne $.svc.kafka false }}
GRPC_PORT: {{ $.svc.grpcPort | quote }}
KAFKA_BOOTSTRAP_SERVERS: {{ $.root.Values.kafka.bootstrapServers | quote }}
KAFKA_SECURITY_PROTOCOL: {{ $.root.Values.kafka.securityProtocol | quote }}
KAFKA_SASL_USERNAME: {{ $.name | quote }}  # its SCRAM user (Secret <kafka.userSecretPrefix><name>)
GRPC_TLS: {{ $.root.Values.grpcTls.enabled | quote }}
EVENTS_TOPIC: {{ $.root.Values.kafka.eventsTopic | quote }}
EVENTS_DLQ_TOPIC: {{ $.root.Values.kafka.dlqTopic | quote }}
TOKEN_ISSUER: {{ $.root.Values.auth.issuer | quote }}
TOKEN_AUDIENCE: {{ $.root.Values.auth.audience | quote }}
ACCESS_TOKEN_TTL_SECONDS: {{ $.root.Values.auth.accessTokenTtlSeconds | quote }}
PORTAL_PUBLIC_URL: {{ $.root.Values.publicUrl | quote }}
{{- range $callee := $.svc.grpcCalls }}
{{- $target := index $.root.Values.services $callee }}
{{ upper (replace "-" "_" $callee) }}_GRPC_TARGET: {{ printf "%s-%s:%v" $.root.Release.Name $callee $target.grpcPort | quote }}
{{- end }}
{{- if not $.svc.servesJwks }}
JWKS_URL: {{ include "portal.jwksUrl" $.root | quote }}
{{- end }}
{{- end }}
{{- range $key, $value := $.svc.env }}
{{ $key }}: {{ $value | quote }}
{{- end }}
{{- end }}
