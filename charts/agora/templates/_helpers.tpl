{{/*
Helpers of the agora chart. Every define is prefixed "agora.".

Component helpers take a context dict: (dict "root" $ "name" "<component>"),
where <component> is one of gateway, customers, inventory, orders, reviews,
saga (the binary in /usr/local/bin and the key of its block in values.yaml).
*/}}

{{/* The chart's name, overridable with nameOverride. */}}
{{- define "agora.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The release's full name: <release>-<chart> (just <release> when it already
contains the chart's name), overridable with fullnameOverride. Truncated to
52 characters so that "<fullname>-<component>" (longest suffix
"-migrations", 11) stays a valid 63-character DNS label.
*/}}
{{- define "agora.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 52 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 52 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 52 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* "<fullname>-<component>": the name of a component's Deployment, Service, ServiceAccount, ... */}}
{{- define "agora.componentFullname" -}}
{{- printf "%s-%s" (include "agora.fullname" .root) .name | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* chart label value: <chart>-<version>. */}}
{{- define "agora.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Every component, in the order they are rendered. */}}
{{- define "agora.components" -}}
gateway customers inventory orders reviews saga
{{- end }}

{{/* The gRPC services (every component but the gateway): they own a PostgreSQL schema and use Kafka. */}}
{{- define "agora.grpcComponents" -}}
customers inventory orders reviews saga
{{- end }}

{{/* The components that may have a HorizontalPodAutoscaler (saga keeps fixed replicas: consumer group member). */}}
{{- define "agora.autoscaledComponents" -}}
gateway customers inventory orders reviews
{{- end }}

{{/*
Who may call each gRPC service (NetworkPolicy sources), from the call graph
in FACTS.md: orders calls inventory and customers, customers calls inventory
(GetProduct: only a live product enters a cart or the favourites), reviews
calls customers and orders (FindPurchase, on every review),
saga calls orders (LocateOrder, for a timeline asked for before its saga
started), the gateway calls every service; and every process that checks access
tokens but customers itself (the gateway, inventory, orders, reviews, saga)
polls customers' ListRevokedSessions every AGORA_REVOCATION_POLL_INTERVAL
(the signed-out sessions), so inventory and saga call customers too.
*/}}
{{- define "agora.callers" -}}
customers: [gateway, inventory, orders, reviews, saga]
inventory: [gateway, customers, orders]
orders: [gateway, reviews, saga]
reviews: [gateway]
saga: [gateway]
{{- end }}

{{/*
The gRPC backends each component calls, and the AGORA_<BACKEND>_ADDRESS it
reads for each (inventory and saga: customers, for the revoked sessions
only; customers reads its own table, and calls inventory about products).
*/}}
{{- define "agora.backends" -}}
gateway: [inventory, customers, orders, reviews, saga]
customers: [inventory]
inventory: [customers]
orders: [inventory, customers]
reviews: [customers, orders]
saga: [customers, orders]
{{- end }}

{{/* Labels common to every resource of the release (no component). */}}
{{- define "agora.commonLabels" -}}
helm.sh/chart: {{ include "agora.chart" . }}
app.kubernetes.io/name: {{ include "agora.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: agora
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Labels of a component's resources and pods. Context: (dict "root" $ "name" <component>). */}}
{{- define "agora.labels" -}}
{{ include "agora.commonLabels" .root }}
app.kubernetes.io/component: {{ .name }}
{{- end }}

{{/* Selector labels of the whole release: name and instance only. */}}
{{- define "agora.releaseSelectorLabels" -}}
app.kubernetes.io/name: {{ include "agora.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* Selector labels of a component: name, instance and component only (immutable once deployed). */}}
{{- define "agora.selectorLabels" -}}
{{ include "agora.releaseSelectorLabels" .root }}
app.kubernetes.io/component: {{ .name }}
{{- end }}

{{/*
The container image: "repository@digest" when image.digest is set, else
"repository:tag". Refuses an empty tag and "latest" when there is no digest:
every pod of a release must run the same, known build.
*/}}
{{- define "agora.image" -}}
{{- $img := .Values.image -}}
{{- $repo := required "image.repository is required" $img.repository -}}
{{- if $img.digest -}}
{{- if not (regexMatch "^sha256:[a-f0-9]{64}$" (toString $img.digest)) -}}
{{- fail (printf "image.digest %q is not a sha256 digest (sha256:<64 hex digits>)" (toString $img.digest)) -}}
{{- end -}}
{{- printf "%s@%s" $repo $img.digest -}}
{{- else -}}
{{- $tag := toString (default "" $img.tag) -}}
{{- if or (eq $tag "") (eq $tag "latest") -}}
{{- fail "image.tag must be set to a release tag (not empty, not \"latest\") when image.digest is empty; better, pin image.digest" -}}
{{- end -}}
{{- printf "%s:%s" $repo $tag -}}
{{- end -}}
{{- end }}

{{/*
A value as an environment variable string. Numbers from values files may
arrive as float64 (Helm decodes values through JSON): print them as integers,
never as 1e+06.
*/}}
{{- define "agora.envValue" -}}
{{- if kindIs "float64" . -}}
{{- int64 . -}}
{{- else if kindIs "invalid" . -}}
{{- else -}}
{{- toString . -}}
{{- end -}}
{{- end }}

{{/* The headless Service of a gRPC service (grpcClients.headless): "<fullname>-<component>-headless". */}}
{{- define "agora.headlessName" -}}
{{- printf "%s-headless" (include "agora.componentFullname" . | trunc 54 | trimSuffix "-") -}}
{{- end }}

{{/*
Where callers reach a gRPC service: "<fullname>-<component>:<grpcPort>" (its
ClusterIP Service), or with grpcClients.headless
"<fullname>-<component>-headless:<grpcPort>" (resolved by gRPC's default
dns:/// resolver to every ready pod's address, spread by the callers'
round_robin policy).
*/}}
{{- define "agora.grpcAddress" -}}
{{- $c := index .root.Values .name -}}
{{- if .root.Values.grpcClients.headless -}}
{{- /* No scheme: gRPC's default resolver is dns:///, which answers every address. */ -}}
{{- printf "%s:%d" (include "agora.headlessName" .) (int $c.grpcPort) -}}
{{- else -}}
{{- printf "%s:%d" (include "agora.componentFullname" .) (int $c.grpcPort) -}}
{{- end -}}
{{- end }}

{{/* Where the JWT key files are mounted. */}}
{{- define "agora.jwtMountPath" -}}
/etc/agora/jwt
{{- end }}

{{/* Where the services' key files are mounted (service.pem, service.pub.pem). */}}
{{- define "agora.serviceKeyMountPath" -}}
/etc/agora/service
{{- end }}

{{/* Where the gateway's TLS Secret is mounted (tls.crt, tls.key), with gateway.tls.enabled. */}}
{{- define "agora.gatewayTlsMountPath" -}}
/etc/agora/tls
{{- end }}

{{/*
"true" when the gateway serves HTTPS itself (gateway.tls.enabled), else "".
Its probes, its Service's appProtocol, the ServiceMonitor's gateway endpoint
and the Ingress backend follow.
*/}}
{{- define "agora.gatewayTls" -}}
{{- if dig "tls" "enabled" false .Values.gateway -}}true{{- end -}}
{{- end }}

{{/*
The kubernetes.io/tls Secret of the gateway (keys tls.crt, tls.key), with
gateway.tls.enabled; refuses to render without one (the chart creates no
certificate: cert-manager or the cluster's secret manager does).
*/}}
{{- define "agora.gatewayTlsSecretName" -}}
{{- required "gateway.tls.existingSecret is required when gateway.tls.enabled is true: name a kubernetes.io/tls Secret (keys tls.crt and tls.key, e.g. written by a cert-manager Certificate) in the release namespace" (dig "tls" "existingSecret" "" .Values.gateway) -}}
{{- end }}

{{/*
"true" when the gateway verifies access tokens with the JWT public key(s) file
(AGORA_JWT_PUBLIC_KEY_FILE=<jwtMountPath>/public.pem, the public half of the
JWT Secret, mounted into the gateway: the default), "" with
gateway.jwksFromCustomers (no key file: the gateway fetches the JWKS of
customers over the in-cluster gRPC channel, which is not authenticated).
The gateway never gets the private key.
*/}}
{{- define "agora.gatewayJwtKeyFile" -}}
{{- if not (dig "jwksFromCustomers" false .Values.gateway) -}}true{{- end -}}
{{- end }}

{{/*
The components that sign service tokens with the services' private key: they
call other services' INTERNAL methods (orders: inventory's BatchGetProducts
and customers' GetCustomerCart; reviews: customers' GetCustomer and orders'
FindPurchase; saga: orders' LocateOrder). Orders and reviews refuse to start
without AGORA_SERVICE_KEY_FILE; saga starts without it and answers a
timeline asked for before its saga started NOT_FOUND. The other gRPC services
(customers, inventory) only verify: they get the public key(s) alone
(inventory's one call, customers' ListRevokedSessions, is PUBLIC). The
gateway calls no INTERNAL method and gets neither.
*/}}
{{- define "agora.serviceKeySigners" -}}
orders reviews saga
{{- end }}

{{/*
The non-secret AGORA_* environment of a component, as a YAML map of strings
(the data of its ConfigMap, and the env of its migration container).
Only variables the binary reads (see its --help) are set. The chart-managed
ones are set last, so that nothing in <component>.config overrides them
(values.schema.json also refuses them there).
*/}}
{{- define "agora.configEnv" -}}
{{- $root := .root -}}
{{- $name := .name -}}
{{- $v := $root.Values -}}
{{- $c := index $v $name -}}
{{- $env := dict -}}
{{- range $key, $value := $c.config -}}
{{- $_ := set $env $key (include "agora.envValue" $value) -}}
{{- end -}}
{{- $_ := set $env "AGORA_LOG_LEVEL" (toString $v.logLevel) -}}
{{- $_ := set $env "AGORA_JWT_ISSUER" (toString $v.jwt.issuer) -}}
{{- $_ := set $env "AGORA_JWT_AUDIENCE" (toString $v.jwt.audience) -}}
{{- if eq $name "gateway" -}}
{{- $_ := set $env "AGORA_HTTP_ADDRESS" "0.0.0.0" -}}
{{- $_ := set $env "AGORA_HTTP_PORT" (include "agora.envValue" $c.httpPort) -}}
{{- if include "agora.gatewayTls" $root -}}
{{- /* HTTPS only on the same port: the files of the mounted kubernetes.io/tls Secret (see deployment.yaml). */ -}}
{{- $_ := include "agora.gatewayTlsSecretName" $root -}}
{{- $tlsMount := include "agora.gatewayTlsMountPath" $root -}}
{{- $_ := set $env "AGORA_HTTP_TLS_CERT_FILE" (printf "%s/tls.crt" $tlsMount) -}}
{{- $_ := set $env "AGORA_HTTP_TLS_KEY_FILE" (printf "%s/tls.key" $tlsMount) -}}
{{- end -}}
{{- if include "agora.gatewayJwtKeyFile" $root -}}
{{- /* The public key(s) of the mounted JWT Secret (see deployment.yaml), trusted as the Secret is, read again every AGORA_JWKS_REFRESH_INTERVAL. */ -}}
{{- $_ := set $env "AGORA_JWT_PUBLIC_KEY_FILE" (printf "%s/public.pem" (include "agora.jwtMountPath" $root)) -}}
{{- end -}}
{{- /* With gateway.jwksFromCustomers AGORA_JWT_PUBLIC_KEY_FILE stays unset (empty): the gateway verifies tokens with the JWKS of customers. */ -}}
{{- else -}}
{{- $_ := set $env "AGORA_GRPC_ADDRESS" (printf "0.0.0.0:%d" (int $c.grpcPort)) -}}
{{- $_ := set $env "AGORA_METRICS_ADDRESS" "0.0.0.0" -}}
{{- $_ := set $env "AGORA_METRICS_PORT" (include "agora.envValue" $c.metricsPort) -}}
{{- $_ := set $env "AGORA_PG_HOST" (required "postgresql.host is required" $v.postgresql.host | toString) -}}
{{- $_ := set $env "AGORA_PG_PORT" (include "agora.envValue" $v.postgresql.port) -}}
{{- $_ := set $env "AGORA_PG_DATABASE" (toString $v.postgresql.database) -}}
{{- $_ := set $env "AGORA_PG_SCHEMA" (toString (default $name $c.database.schema)) -}}
{{- $_ := set $env "AGORA_KAFKA_BROKERS" (required "kafka.brokers is required" $v.kafka.brokers | toString) -}}
{{- $_ := set $env "AGORA_KAFKA_TOPIC_PREFIX" (toString (default "" $v.kafka.topicPrefix)) -}}
{{- /* kafka.fetchWaitMaxMs, unless <component>.config sets its own. */ -}}
{{- if not (hasKey (default dict $c.config) "AGORA_KAFKA_FETCH_WAIT_MAX_MS") -}}
{{- $_ := set $env "AGORA_KAFKA_FETCH_WAIT_MAX_MS" (include "agora.envValue" (default 500 $v.kafka.fetchWaitMaxMs)) -}}
{{- end -}}
{{- if eq $name "customers" -}}
{{- $_ := set $env "AGORA_JWT_PRIVATE_KEY_FILE" (printf "%s/private.pem" (include "agora.jwtMountPath" $root)) -}}
{{- $_ := set $env "AGORA_JWT_GENERATE_KEY" "false" -}}
{{- $_ := set $env "AGORA_JWT_PUBLIC_KEY_FILE" (printf "%s/public.pem" (include "agora.jwtMountPath" $root)) -}}
{{- $_ := set $env "AGORA_DEMO_PAYMENTS" (ternary "true" "false" (eq (toString $v.demoPayments) "true")) -}}
{{- else -}}
{{- $_ := set $env "AGORA_JWT_PUBLIC_KEY_FILE" (printf "%s/public.pem" (include "agora.jwtMountPath" $root)) -}}
{{- end -}}
{{- /* The services' key: signers get the private key (and the published public key(s), so that they verify like everyone else during a rotation), the others the public key(s) only. */ -}}
{{- $serviceKeyMount := include "agora.serviceKeyMountPath" $root -}}
{{- if has $name (include "agora.serviceKeySigners" $root | splitList " ") -}}
{{- $_ := set $env "AGORA_SERVICE_KEY_FILE" (printf "%s/service.pem" $serviceKeyMount) -}}
{{- end -}}
{{- $_ := set $env "AGORA_SERVICE_PUBLIC_KEY_FILE" (printf "%s/service.pub.pem" $serviceKeyMount) -}}
{{- end -}}
{{- $backends := index (include "agora.backends" $root | fromYaml) $name -}}
{{- range $backend := $backends -}}
{{- $_ := set $env (printf "AGORA_%s_ADDRESS" (upper $backend)) (include "agora.grpcAddress" (dict "root" $root "name" $backend)) -}}
{{- end -}}
{{- toYaml $env -}}
{{- end }}

{{/*
Where a gRPC service's PostgreSQL credentials come from, as YAML:
{name, usernameKey, passwordKey, fromValues}. In order:
  1. <component>.database.existingSecret (keys <component>.database.usernameKey / passwordKey;
     the defaults "username"/"password" fit CloudNativePG's basic-auth Secrets),
  2. postgresql.existingSecret, shared (keys "<component>-username" / "<component>-password"),
  3. the Secret "<fullname>-postgresql" this chart creates from <component>.database.username / password
     (same keys as 2).
*/}}
{{- define "agora.dbSecret" -}}
{{- $db := (index .root.Values .name).database -}}
{{- if $db.existingSecret -}}
name: {{ $db.existingSecret | quote }}
usernameKey: {{ $db.usernameKey | quote }}
passwordKey: {{ $db.passwordKey | quote }}
fromValues: false
{{- else if .root.Values.postgresql.existingSecret -}}
name: {{ .root.Values.postgresql.existingSecret | quote }}
usernameKey: {{ printf "%s-username" .name | quote }}
passwordKey: {{ printf "%s-password" .name | quote }}
fromValues: false
{{- else -}}
name: {{ printf "%s-postgresql" (include "agora.fullname" .root) | quote }}
usernameKey: {{ printf "%s-username" .name | quote }}
passwordKey: {{ printf "%s-password" .name | quote }}
fromValues: true
{{- end -}}
{{- end }}

{{/* The PostgreSQL password of a component created from values; refuses to render without one. */}}
{{- define "agora.dbPassword" -}}
{{- $db := (index .root.Values .name).database -}}
{{- required (printf "%s.database.password is required when neither %s.database.existingSecret nor postgresql.existingSecret is set" .name .name) $db.password -}}
{{- end }}

{{/* The Secret holding the JWT key pair (keys jwt.privateKeyKey / jwt.publicKeyKey). */}}
{{- define "agora.jwtSecretName" -}}
{{- if .Values.jwt.existingSecret -}}
{{- .Values.jwt.existingSecret -}}
{{- else -}}
{{- printf "%s-jwt" (include "agora.fullname" .) -}}
{{- end -}}
{{- end }}

{{/* The Secret holding the services' key pair (keys serviceKey.privateKeyKey / serviceKey.publicKeyKey). */}}
{{- define "agora.serviceKeySecretName" -}}
{{- if .Values.serviceKey.existingSecret -}}
{{- .Values.serviceKey.existingSecret -}}
{{- else -}}
{{- printf "%s-service-key" (include "agora.fullname" .) -}}
{{- end -}}
{{- end }}

{{/* The Secret holding the administrator bootstrap (keys admin.emailKey / admin.passwordKey). */}}
{{- define "agora.adminSecretName" -}}
{{- if .Values.admin.existingSecret -}}
{{- .Values.admin.existingSecret -}}
{{- else -}}
{{- printf "%s-admin" (include "agora.fullname" .) -}}
{{- end -}}
{{- end }}

{{/*
The JWT keys from values, checked (the chart refuses to render without a key
pair: customers runs with AGORA_JWT_GENERATE_KEY=false, and every replica
and every verifier must share one key).
*/}}
{{- define "agora.jwtPrivateKey" -}}
{{- $k := required "jwt.privateKey (PEM RSA private key) is required when jwt.existingSecret is empty" .Values.jwt.privateKey -}}
{{- if not (contains "PRIVATE KEY-----" $k) -}}
{{- fail "jwt.privateKey must be a PEM private key (-----BEGIN PRIVATE KEY----- or -----BEGIN RSA PRIVATE KEY-----)" -}}
{{- end -}}
{{- $k -}}
{{- end }}

{{- define "agora.jwtPublicKey" -}}
{{- $k := required "jwt.publicKey (PEM public key(s) matching jwt.privateKey) is required when jwt.existingSecret is empty" .Values.jwt.publicKey -}}
{{- if not (contains "PUBLIC KEY-----" $k) -}}
{{- fail "jwt.publicKey must hold PEM public key(s) (-----BEGIN PUBLIC KEY-----)" -}}
{{- end -}}
{{- $k -}}
{{- end }}

{{/*
The services' key from values, checked (the chart refuses to render without
one: every gRPC service refuses to start without it, and every replica of
every service must share it).
*/}}
{{- define "agora.servicePrivateKey" -}}
{{- $k := required "serviceKey.privateKey (PEM RSA private key of the services' key) is required when serviceKey.existingSecret is empty: the gRPC services do not start without the services' key (give serviceKey.existingSecret, or serviceKey.privateKey and serviceKey.publicKey)" .Values.serviceKey.privateKey -}}
{{- if not (contains "PRIVATE KEY-----" $k) -}}
{{- fail "serviceKey.privateKey must be a PEM private key (-----BEGIN PRIVATE KEY----- or -----BEGIN RSA PRIVATE KEY-----)" -}}
{{- end -}}
{{- $k -}}
{{- end }}

{{- define "agora.servicePublicKey" -}}
{{- $k := required "serviceKey.publicKey (PEM public key(s) matching serviceKey.privateKey) is required when serviceKey.existingSecret is empty" .Values.serviceKey.publicKey -}}
{{- if not (contains "PUBLIC KEY-----" $k) -}}
{{- fail "serviceKey.publicKey must hold PEM public key(s) (-----BEGIN PUBLIC KEY-----)" -}}
{{- end -}}
{{- $k -}}
{{- end }}

{{/* The administrator bootstrap from values, checked: the chart refuses to render without a password. */}}
{{- define "agora.adminEmail" -}}
{{- $e := required "admin.email is required when admin.existingSecret is empty" .Values.admin.email | toString -}}
{{- if not (regexMatch "^[^@[:space:]]+@[^@[:space:]]+$" $e) -}}
{{- fail (printf "admin.email %q is not an email address" $e) -}}
{{- end -}}
{{- $e -}}
{{- end }}

{{- define "agora.adminPassword" -}}
{{- $p := required "admin.password is required when admin.existingSecret is empty: the chart does not deploy without an administrator password (give admin.existingSecret, or admin.email and admin.password)" .Values.admin.password | toString -}}
{{- if or (lt (len $p) 8) (gt (len $p) 128) -}}
{{- fail "admin.password must be 8 to 128 characters (customers refuses others)" -}}
{{- end -}}
{{- $p -}}
{{- end }}

{{/*
Checksum of what a component's pods read from Secrets the chart renders or
names, so that a change rolls them (the content of an existing Secret is not
visible to the chart: roll the pods yourself, or use a reloader, after
changing one). The gateway reads the public key(s) of the JWT Secret (unless
gateway.jwksFromCustomers; it also reads that file again every
AGORA_JWKS_REFRESH_INTERVAL, so a rotated existing Secret needs no roll) and
its TLS Secret (gateway.tls), by name: a renewed certificate in the same
Secret does not roll it.
*/}}
{{- define "agora.secretChecksum" -}}
{{- $root := .root -}}
{{- $v := $root.Values -}}
{{- $parts := list -}}
{{- if eq .name "gateway" -}}
{{- if include "agora.gatewayJwtKeyFile" $root -}}
{{- /* The public key(s) only, as the other verifiers: never the private key. */ -}}
{{- $parts = concat $parts (list "jwt" (include "agora.jwtSecretName" $root) (toString $v.jwt.publicKeyKey)) -}}
{{- if not $v.jwt.existingSecret -}}
{{- $parts = append $parts (toString $v.jwt.publicKey) -}}
{{- end -}}
{{- end -}}
{{- if include "agora.gatewayTls" $root -}}
{{- $parts = concat $parts (list "gateway-tls" (include "agora.gatewayTlsSecretName" $root) "tls.crt" "tls.key") -}}
{{- end -}}
{{- else -}}
{{- $db := include "agora.dbSecret" . | fromYaml -}}
{{- $parts = append $parts (toYaml $db) -}}
{{- if $db.fromValues -}}
{{- $c := index $v .name -}}
{{- $parts = concat $parts (list (toString (default .name $c.database.username)) (include "agora.dbPassword" .)) -}}
{{- end -}}
{{- $parts = concat $parts (list (include "agora.jwtSecretName" $root) (toString $v.jwt.privateKeyKey) (toString $v.jwt.publicKeyKey)) -}}
{{- if not $v.jwt.existingSecret -}}
{{- $parts = append $parts (ternary (toString $v.jwt.privateKey) (toString $v.jwt.publicKey) (eq .name "customers")) -}}
{{- end -}}
{{- $signer := has .name (include "agora.serviceKeySigners" $root | splitList " ") -}}
{{- $parts = concat $parts (list (include "agora.serviceKeySecretName" $root) (toString $v.serviceKey.publicKeyKey)) -}}
{{- if $signer -}}
{{- $parts = append $parts (toString $v.serviceKey.privateKeyKey) -}}
{{- end -}}
{{- if not $v.serviceKey.existingSecret -}}
{{- $parts = append $parts (toString $v.serviceKey.publicKey) -}}
{{- if $signer -}}
{{- $parts = append $parts (toString $v.serviceKey.privateKey) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- if eq .name "customers" -}}
{{- $parts = concat $parts (list (include "agora.adminSecretName" $root) (toString $v.admin.emailKey) (toString $v.admin.passwordKey)) -}}
{{- if not $v.admin.existingSecret -}}
{{- $parts = concat $parts (list (toString $v.admin.email) (toString $v.admin.password)) -}}
{{- end -}}
{{- end -}}
{{- join "\n" $parts | sha256sum -}}
{{- end }}

{{/* The pod-level security context (values podSecurityContext). */}}
{{- define "agora.podSecurityContext" -}}
{{- toYaml .Values.podSecurityContext -}}
{{- end }}

{{/* The container-level security context (values containerSecurityContext). */}}
{{- define "agora.containerSecurityContext" -}}
{{- toYaml .Values.containerSecurityContext -}}
{{- end }}

{{/* The writable /tmp every pod gets (the root filesystem is read-only). */}}
{{- define "agora.tmpVolume" -}}
- name: tmp
  emptyDir:
    {{- with .Values.tmpVolume.medium }}
    medium: {{ . }}
    {{- end }}
    sizeLimit: {{ .Values.tmpVolume.sizeLimit }}
{{- end }}

{{/*
The probes of a component: the global "probes" merged with <component>.probes.
Returns YAML {startup, readiness, liveness}, each {periodSeconds, timeoutSeconds, failureThreshold, ...}.
*/}}
{{- define "agora.probeSettings" -}}
{{- $c := index .root.Values .name -}}
{{- $merged := mergeOverwrite (deepCopy .root.Values.probes) (deepCopy (default dict $c.probes)) -}}
{{- toYaml $merged -}}
{{- end }}
