/**
 * Pinned versions of what `up` installs. Changing one installs the new version beside the
 * old one in the cache (tools are keyed by name and version), so switching is safe.
 */
export const VERSIONS = Object.freeze({
  /**
   * Kafka broker. @platformatic/kafka 2.12 is tested against Kafka 3.5–4.2, so the 4.2
   * line, not the newest 4.x.
   */
  kafka: '4.2.2',
  /** Kafka 4.x brings no logging backend; these give it log4j2 through slf4j 2. */
  log4j: '2.26.1',
  slf4j: '2.0.17',
  /** Apicurio Registry app (Quarkus). 3.3 is compiled for Java 21. */
  apicurio: '3.3.3',
  /** versitygw S3 gateway, built from the Go module proxy. */
  versitygw: 'v1.8.0',
  /** Jaeger (v2, on the OpenTelemetry Collector), built from the Go module proxy. */
  jaeger: 'v1.75.0',
  /** The Kubernetes schemas `infra/k8s` is checked against (PyPI), and the KEDA whose CRD it uses. */
  kubernetesValidate: '1.37.0',
  keda: 'v2.18.1',
  /** The oldest Kubernetes the manifests must be valid for. */
  kubernetes: '1.33',
  /** Toxiproxy (TCP fault and link-shaping proxy), built from the Go module proxy. */
  toxiproxy: 'v2.12.0',
  /** moto's S3 server (PyPI `moto[server]`), for the S3 compatibility matrix. */
  moto: '5.2.5',
  /** s3proxy (Maven Central `org.gaul:s3proxy`, its jar-with-dependencies), for the S3 matrix. */
  s3proxy: '2.6.0',
  /** Used by the generated Maven pom; resolves with the machines' Maven 3.8. */
  mavenDependencyPlugin: '3.8.1',
});

/** Oldest Java major each JVM service runs on. */
export const JAVA_MAJOR = Object.freeze({ kafka: 17, apicurio: 21, s3proxy: 11 });
