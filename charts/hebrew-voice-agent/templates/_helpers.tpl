{{/* Chart name, short enough that "<name>-operator" is a valid label value (63 characters). */}}
{{- define "hva.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 54 | trimSuffix "-" }}
{{- end }}

{{/*
<fullname>-<suffix>, the full name shortened so the result stays within 63 characters.
Usage: include "hva.fullnameWith" (dict "ctx" . "suffix" "agent")
*/}}
{{- define "hva.fullnameWith" -}}
{{- $base := include "hva.fullname" .ctx | trunc (int (sub 62 (len .suffix))) | trimSuffix "-" }}
{{- printf "%s-%s" $base .suffix }}
{{- end }}

{{/* Operator object names: <release>-<chart>, or just the release when it already contains the chart name. */}}
{{- define "hva.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- printf "%s-operator" .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s-operator" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "hva.selectorLabels" -}}
app.kubernetes.io/name: {{ include "hva.name" . }}-operator
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "hva.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "hva.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: hebrew-voice-agent
app.kubernetes.io/component: operator
{{- end }}

{{- define "hva.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "hva.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "hva.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/* Namespace of namespaced objects that are not the operator's own (dashboard ConfigMap). */}}
{{- define "hva.dashboardNamespace" -}}
{{- default .Release.Namespace .Values.grafana.dashboard.namespace }}
{{- end }}
