{{/* Chart name, overridable. */}}
{{- define "webhook-relay.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Full name: release name, plus chart name when the release name does not contain it. */}}
{{- define "webhook-relay.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "webhook-relay.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels on every resource. */}}
{{- define "webhook-relay.labels" -}}
helm.sh/chart: {{ include "webhook-relay.chart" . }}
{{ include "webhook-relay.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: webhook-relay
{{- end }}

{{/* Selector labels; add app.kubernetes.io/component per workload. */}}
{{- define "webhook-relay.selectorLabels" -}}
app.kubernetes.io/name: {{ include "webhook-relay.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "webhook-relay.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "webhook-relay.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "webhook-relay.image" -}}
{{- if .Values.image.digest -}}
{{ .Values.image.repository }}@{{ .Values.image.digest }}
{{- else -}}
{{ .Values.image.repository }}:{{ default .Chart.AppVersion .Values.image.tag }}
{{- end }}
{{- end }}

{{/* Name of the Secret holding credentials: the user's or the chart's. */}}
{{- define "webhook-relay.secretName" -}}
{{- default (printf "%s-secrets" (include "webhook-relay.fullname" .)) .Values.secrets.existingSecret }}
{{- end }}

{{- define "webhook-relay.postgresHost" -}}
{{- if .Values.postgresql.enabled }}{{ include "webhook-relay.fullname" . }}-postgresql{{ else }}{{ required "externalDatabase.host is required when postgresql.enabled is false" .Values.externalDatabase.host }}{{ end }}
{{- end }}

{{- define "webhook-relay.redisHost" -}}
{{- if .Values.redis.enabled }}{{ include "webhook-relay.fullname" . }}-redis{{ else }}{{ required "externalRedis.host is required when redis.enabled is false" .Values.externalRedis.host }}{{ end }}
{{- end }}

{{- define "webhook-relay.redisPort" -}}
{{- if .Values.redis.enabled }}6379{{ else }}{{ .Values.externalRedis.port }}{{ end }}
{{- end }}

{{/* External base URL printed in NOTES and passed as RELAY_PUBLIC_URL. */}}
{{- define "webhook-relay.publicUrl" -}}
{{- if .Values.publicUrl }}{{ trimSuffix "/" .Values.publicUrl }}
{{- else if .Values.ingress.enabled }}https://{{ .Values.ingress.host }}
{{- else }}http://{{ include "webhook-relay.fullname" . }}-api.{{ .Release.Namespace }}.svc:{{ .Values.service.port }}
{{- end }}
{{- end }}

{{/*
Migrations hook phase. An external database exists before install, so the Job
runs pre-install and the app never starts on an old schema. The in-chart
Postgres is created by the install itself, so a pre-install hook would wait
forever; there the Job runs post-install (pods retry readiness meanwhile).
*/}}
{{- define "webhook-relay.migrationsHook" -}}
{{- if .Values.postgresql.enabled }}post-install,pre-upgrade{{ else }}pre-install,pre-upgrade{{ end }}
{{- end }}

{{/* Pod and container security settings shared by every container the chart runs. */}}
{{- define "webhook-relay.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ .uid }}
runAsGroup: {{ .uid }}
fsGroup: {{ .uid }}
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{- define "webhook-relay.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
capabilities:
  drop: ["ALL"]
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{/* Environment shared by api, worker and migrations: ConfigMap plus Secret. */}}
{{- define "webhook-relay.envFrom" -}}
- configMapRef:
    name: {{ include "webhook-relay.fullname" . }}-config
- secretRef:
    name: {{ include "webhook-relay.secretName" . }}
{{- end }}

{{/* Checksums roll the pods when configuration or chart-made secrets change. */}}
{{- define "webhook-relay.checksums" -}}
checksum/config: {{ include (print $.Template.BasePath "/configmap.yaml") . | sha256sum }}
{{- if not .Values.secrets.existingSecret }}
checksum/secret: {{ include (print $.Template.BasePath "/secret.yaml") . | sha256sum }}
{{- else }}
checksum/secret: {{ .Values.secrets.existingSecret | sha256sum }}
{{- end }}
{{- end }}
