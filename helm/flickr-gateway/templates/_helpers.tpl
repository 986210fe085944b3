{{/* Names and labels shared by every template. */}}
{{- define "fgw.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "fgw.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "fgw.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "fgw.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{/* Selector labels of one component (api or worker): include "fgw.selector" (list . "api") */}}
{{- define "fgw.selector" -}}
{{- $ctx := index . 0 -}}
app.kubernetes.io/name: {{ include "fgw.name" $ctx }}
app.kubernetes.io/instance: {{ $ctx.Release.Name }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end -}}

{{- define "fgw.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "fgw.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "fgw.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/*
The shutdown budget: the app exits by itself at most SHUTDOWN_GRACE_MS after SIGTERM (drain delay included),
and SIGTERM comes after the preStop pause. Kubernetes kills the pod at terminationGracePeriodSeconds, counted
from the start of preStop, so that must be strictly larger or in-flight work is cut off.
*/}}
{{- define "fgw.checkShutdownBudget" -}}
{{- $graceMs := int (default "25000" (get .Values.config "SHUTDOWN_GRACE_MS")) -}}
{{- $drainMs := int (default "2000" (get .Values.config "SHUTDOWN_DRAIN_DELAY_MS")) -}}
{{- $needed := add .Values.shutdown.preStopSeconds (div (add $graceMs 999) 1000) -}}
{{- if le (int .Values.shutdown.terminationGracePeriodSeconds) (int $needed) -}}
{{- fail (printf "shutdown.terminationGracePeriodSeconds (%v) must be above preStopSeconds + SHUTDOWN_GRACE_MS/1000 (%v)" .Values.shutdown.terminationGracePeriodSeconds $needed) -}}
{{- end -}}
{{- if ge $drainMs $graceMs -}}
{{- fail "config.SHUTDOWN_DRAIN_DELAY_MS must be below config.SHUTDOWN_GRACE_MS" -}}
{{- end -}}
{{- end -}}

{{/*
Behind the Ingress every request reaches the API from the controller's pods: without AUTH_TRUSTED_PROXIES the
app takes the controller's address for the client's (per-key IP allowlists, brute-force counters). The schema
refuses this already; this check keeps the failure loud when schema validation is skipped.
*/}}
{{- define "fgw.checkTrustedProxies" -}}
{{- if hasKey .Values.config "AUTH_TRUSTED_PROXIES" -}}
{{- fail "config.AUTH_TRUSTED_PROXIES is not allowed: set auth.trustedProxies (a list of IPs/CIDRs) instead" -}}
{{- end -}}
{{- if and .Values.ingress.enabled (empty .Values.auth.trustedProxies) -}}
{{- fail "auth.trustedProxies is required when ingress.enabled is true: set it to the ingress controller pods' CIDR(s)" -}}
{{- end -}}
{{- end -}}

{{/* Environment of both processes: the ConfigMap, then the existing Secret (its keys win). */}}
{{- define "fgw.envFrom" -}}
- configMapRef:
    name: {{ include "fgw.fullname" . }}-config
- secretRef:
    name: {{ required "existingSecret is required: secrets are never taken from values" .Values.existingSecret }}
{{- end -}}

{{/* Pod-level settings shared by the two Deployments. */}}
{{- define "fgw.podCommon" -}}
serviceAccountName: {{ include "fgw.serviceAccountName" . }}
automountServiceAccountToken: {{ eq .Values.vault.authMethod "kubernetes" }}
terminationGracePeriodSeconds: {{ .Values.shutdown.terminationGracePeriodSeconds }}
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
volumes:
  # The root filesystem is read-only; Node and libraries may still want a temp dir.
  - name: tmp
    emptyDir: { sizeLimit: 64Mi }
{{- end -}}

{{/* Container-level settings shared by the two Deployments: include "fgw.containerCommon" (list . "api") */}}
{{- define "fgw.containerCommon" -}}
{{- $ctx := index . 0 -}}
{{- $c := index $ctx.Values (index . 1) -}}
image: {{ include "fgw.image" $ctx }}
imagePullPolicy: {{ $ctx.Values.image.pullPolicy }}
envFrom:
  {{- include "fgw.envFrom" $ctx | nindent 2 }}
securityContext:
  {{- toYaml $ctx.Values.securityContext | nindent 2 }}
resources:
  {{- toYaml $c.resources | nindent 2 }}
volumeMounts:
  - name: tmp
    mountPath: /tmp
startupProbe:
  httpGet: { path: /health/live, port: http }
  {{- toYaml $ctx.Values.probes.startup | nindent 2 }}
livenessProbe:
  httpGet: { path: /health/live, port: http }
  {{- toYaml $ctx.Values.probes.liveness | nindent 2 }}
readinessProbe:
  httpGet: { path: /health/ready, port: http }
  {{- toYaml $ctx.Values.probes.readiness | nindent 2 }}
lifecycle:
  preStop:
    exec:
      command: ["sleep", "{{ $ctx.Values.shutdown.preStopSeconds }}"]
{{- end -}}
