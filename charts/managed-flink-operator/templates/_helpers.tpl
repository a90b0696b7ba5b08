{{- define "mfo.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "mfo.fullname" -}}
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

{{- define "mfo.selectorLabels" -}}
app.kubernetes.io/name: {{ include "mfo.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "mfo.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "mfo.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/component: controller
app.kubernetes.io/part-of: managed-flink-operator
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "mfo.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "mfo.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "mfo.leaseName" -}}
{{- default (include "mfo.fullname" .) .Values.leaderElection.leaseName }}
{{- end }}

{{- define "mfo.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/*
The rules the controller needs on FlinkApplications and Events, wherever they live. Every verb here is one
the code uses (docs/install.md, "Permissions"):
- flinkapplications list, watch: the informers (src/controller/runtime/informer.ts); get adds nothing that
  list does not already reveal, and lets `kubectl auth can-i get` and single-object reads by tooling work.
- flinkapplications patch: finalizers, as a JSON merge patch on the main resource (src/controller/kube.ts).
- flinkapplications/status get, patch: status, as a JSON merge patch on the status subresource.
- flinkapplications/finalizers update: checked by the OwnerReferencesPermissionEnforcement admission plugin
  (on by default on OpenShift) for anything that sets blockOwnerDeletion on an owner reference to a
  FlinkApplication; it grants no write of its own.
- events create, patch: src/controller/events.ts creates a core/v1 Event per distinct action and, as
  client-go's EventCorrelator does, patches count and lastTimestamp of that Event when it repeats.
*/}}
{{- define "mfo.watchRules" -}}
- apiGroups: ["managedflink.dev"]
  resources: ["flinkapplications"]
  verbs: ["get", "list", "watch", "patch"]
- apiGroups: ["managedflink.dev"]
  resources: ["flinkapplications/status"]
  verbs: ["get", "patch"]
- apiGroups: ["managedflink.dev"]
  resources: ["flinkapplications/finalizers"]
  verbs: ["update"]
- apiGroups: [""]
  resources: ["events"]
  verbs: ["create", "patch"]
# spec.environmentPropertiesFrom: read and watched, never written. Secrets are not read at all.
- apiGroups: [""]
  resources: ["configmaps"]
  verbs: ["get", "list", "watch"]
{{- end }}
