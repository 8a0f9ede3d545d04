{{/*
One Deployment shape for both roles; call with
(dict "root" $ "component" "api" "values" .Values.api "autoscaled" bool).
terminationGracePeriodSeconds is computed, never typed: shutdown timeout plus
preStop plus a margin, so the kubelet cannot SIGKILL a draining worker.
*/}}
{{- define "webhook-relay.deployment" -}}
{{- $root := .root }}
{{- $v := .values }}
{{- $shutdownSeconds := div (add $v.shutdownTimeoutMs 999) 1000 }}
{{- $grace := add $shutdownSeconds $root.Values.pod.preStopSeconds $root.Values.pod.terminationMarginSeconds }}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "webhook-relay.fullname" $root }}-{{ .component }}
  labels:
    {{- include "webhook-relay.labels" $root | nindent 4 }}
    app.kubernetes.io/component: {{ .component }}
spec:
  {{- if not .autoscaled }}
  replicas: {{ $v.replicas }}
  {{- end }}
  revisionHistoryLimit: 5
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxUnavailable: 0
      maxSurge: 25%
  selector:
    matchLabels:
      {{- include "webhook-relay.selectorLabels" $root | nindent 6 }}
      app.kubernetes.io/component: {{ .component }}
  template:
    metadata:
      labels:
        {{- include "webhook-relay.selectorLabels" $root | nindent 8 }}
        app.kubernetes.io/component: {{ .component }}
      annotations:
        {{- include "webhook-relay.checksums" $root | nindent 8 }}
        {{- with $root.Values.pod.annotations }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
    spec:
      serviceAccountName: {{ include "webhook-relay.serviceAccountName" $root }}
      # The relay never calls the Kubernetes API.
      automountServiceAccountToken: false
      {{- with $root.Values.imagePullSecrets }}
      imagePullSecrets:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      securityContext:
        {{- include "webhook-relay.podSecurityContext" (dict "uid" 1000) | nindent 8 }}
      terminationGracePeriodSeconds: {{ $grace }}
      containers:
        - name: {{ .component }}
          image: {{ include "webhook-relay.image" $root }}
          imagePullPolicy: {{ $root.Values.image.pullPolicy }}
          args: [{{ .component | quote }}]
          envFrom:
            {{- include "webhook-relay.envFrom" $root | nindent 12 }}
          env:
            - name: RELAY_SHUTDOWN_TIMEOUT_MS
              value: {{ $v.shutdownTimeoutMs | quote }}
            - name: OTEL_SERVICE_NAME
              value: webhook-relay-{{ .component }}
            # Heap limit at ~75% of the memory limit leaves room for buffers
            # and native memory before the kernel's OOM killer would act.
            - name: NODE_OPTIONS
              value: {{ printf "--max-old-space-size=%d" (include "webhook-relay.heapMiB" $v.resources.limits.memory | int) | quote }}
          ports:
            - name: http
              containerPort: 8080
              protocol: TCP
            # /metrics only; never behind the api Service or the Ingress.
            - name: metrics
              containerPort: {{ $root.Values.metrics.port }}
              protocol: TCP
          startupProbe:
            httpGet: { path: /healthz, port: http }
            periodSeconds: 2
            failureThreshold: 30
          livenessProbe:
            httpGet: { path: /healthz, port: http }
            periodSeconds: 10
            timeoutSeconds: 3
            failureThreshold: 3
          readinessProbe:
            httpGet: { path: /readyz, port: http }
            periodSeconds: 5
            timeoutSeconds: 3
            failureThreshold: 2
          lifecycle:
            # Endpoints update asynchronously: keep serving a few seconds
            # after removal so no request lands on a closed socket.
            preStop:
              exec:
                command: ["sleep", {{ $root.Values.pod.preStopSeconds | quote }}]
          resources:
            {{- toYaml $v.resources | nindent 12 }}
          securityContext:
            {{- include "webhook-relay.containerSecurityContext" $root | nindent 12 }}
          volumeMounts:
            - name: tmp
              mountPath: /tmp
      volumes:
        # The only writable path; the root filesystem is read-only.
        - name: tmp
          emptyDir:
            sizeLimit: 64Mi
      {{- with $root.Values.pod.nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $root.Values.pod.tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      affinity:
        {{- if $root.Values.pod.affinity }}
        {{- toYaml $root.Values.pod.affinity | nindent 8 }}
        {{- else }}
        podAntiAffinity:
          preferredDuringSchedulingIgnoredDuringExecution:
            - weight: 100
              podAffinityTerm:
                topologyKey: kubernetes.io/hostname
                labelSelector:
                  matchLabels:
                    {{- include "webhook-relay.selectorLabels" $root | nindent 20 }}
                    app.kubernetes.io/component: {{ .component }}
        {{- end }}
{{- end }}

{{/* 75% of a memory quantity given in Mi or Gi, in MiB. */}}
{{- define "webhook-relay.heapMiB" -}}
{{- $q := toString . }}
{{- if hasSuffix "Gi" $q }}{{ div (mul (trimSuffix "Gi" $q | int) 1024 3) 4 }}
{{- else if hasSuffix "Mi" $q }}{{ div (mul (trimSuffix "Mi" $q | int) 3) 4 }}
{{- else }}{{ fail (printf "memory limit %s: use Mi or Gi" $q) }}
{{- end }}
{{- end }}
