package io.sluice.interop;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import io.apicurio.registry.serde.config.SerdeConfig;
import io.apicurio.registry.serde.protobuf.ProtobufKafkaDeserializer;
import io.apicurio.registry.serde.protobuf.ProtobufKafkaSerializer;
import io.apicurio.registry.serde.protobuf.ProtobufSchemaParser;
import io.apicurio.registry.serde.strategy.SimpleTopicIdStrategy;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * What a Java service on Apicurio's stock Protobuf serdes sees of Sluice's topics.
 *
 * <pre>
 * consume &lt;brokers&gt; &lt;registryUrl&gt; &lt;topic&gt; &lt;count&gt; [timeoutMs]
 *     Reads &lt;count&gt; records from the start of &lt;topic&gt; with ProtobufKafkaDeserializer on its
 *     defaults (only the registry URL set) and prints one JSON line per record:
 *     {"partition","offset","key","headers","javaType","messageType","value"}, where value is
 *     the decoded message in proto3 JSON (JsonFormat, default options).
 *
 * produce &lt;brokers&gt; &lt;registryUrl&gt; &lt;topic&gt; &lt;messageName&gt; &lt;key&gt; &lt;json&gt; [engine|auto-register]
 *     Builds &lt;messageName&gt; from the proto3 JSON &lt;json&gt; against the .proto registered as artifact
 *     &lt;topic&gt; (group default), and produces it with ProtobufKafkaSerializer. "engine" (default)
 *     looks the schema up the way the downstream engine is configured (SimpleTopicIdStrategy:
 *     artifactId = topic, latest version); "auto-register" leaves every serde setting at its
 *     default except apicurio.registry.auto-register=true (TopicIdStrategy: artifact
 *     "&lt;topic&gt;-value"). Both turn off apicurio.registry.serde.validation-enabled (see produce).
 *     Prints {"partition","offset"}.
 * </pre>
 *
 * Logs go to stderr; stdout carries only the JSON lines.
 */
public final class Interop {

    private Interop() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            usage();
        }
        switch (args[0]) {
            case "consume" -> {
                if (args.length < 5) {
                    usage();
                }
                long timeoutMs = args.length > 5 ? Long.parseLong(args[5]) : 30_000L;
                System.exit(consume(args[1], args[2], args[3], Integer.parseInt(args[4]), timeoutMs));
            }
            case "produce" -> {
                if (args.length < 7) {
                    usage();
                }
                String mode = args.length > 7 ? args[7] : "engine";
                produce(args[1], args[2], args[3], args[4], args[5], args[6], mode);
            }
            default -> usage();
        }
    }

    private static void usage() {
        System.err.println("usage: consume <brokers> <registryUrl> <topic> <count> [timeoutMs]\n"
                + "       produce <brokers> <registryUrl> <topic> <messageName> <key> <json> [engine|auto-register]");
        System.exit(64);
    }

    static int consume(String brokers, String registryUrl, String topic, int count, long timeoutMs)
            throws Exception {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, brokers);
        props.put(ConsumerConfig.GROUP_ID_CONFIG, "sluice-interop-" + UUID.randomUUID());
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ProtobufKafkaDeserializer.class.getName());
        // The only serde setting: where the registry is. Everything else stays at its default.
        props.put(SerdeConfig.REGISTRY_URL, registryUrl);

        JsonFormat.Printer printer = JsonFormat.printer().omittingInsignificantWhitespace();
        int seen = 0;
        long deadline = System.currentTimeMillis() + timeoutMs;
        try (KafkaConsumer<String, Object> consumer = new KafkaConsumer<>(props)) {
            consumer.subscribe(List.of(topic));
            while (seen < count && System.currentTimeMillis() < deadline) {
                for (ConsumerRecord<String, Object> record : consumer.poll(Duration.ofMillis(200))) {
                    if (seen >= count) {
                        break;
                    }
                    Message message = (Message) record.value();
                    StringBuilder line = new StringBuilder(256);
                    line.append("{\"partition\":").append(record.partition());
                    line.append(",\"offset\":").append(record.offset());
                    line.append(",\"key\":").append(record.key() == null ? "null" : quote(record.key()));
                    line.append(",\"headers\":{");
                    boolean first = true;
                    for (Header header : record.headers()) {
                        if (!first) {
                            line.append(',');
                        }
                        first = false;
                        String value = header.value() == null ? "" : new String(header.value(), StandardCharsets.UTF_8);
                        line.append(quote(header.key())).append(':').append(quote(value));
                    }
                    line.append("},\"javaType\":").append(quote(message.getClass().getName()));
                    line.append(",\"messageType\":").append(quote(message.getDescriptorForType().getFullName()));
                    line.append(",\"value\":").append(printer.print(message)).append('}');
                    System.out.println(line);
                    seen++;
                }
            }
        }
        System.out.flush();
        if (seen < count) {
            System.err.printf("consumed %d of %d records from %s within %d ms%n", seen, count, topic, timeoutMs);
            return 2;
        }
        return 0;
    }

    static void produce(String brokers, String registryUrl, String topic, String messageName, String key,
            String json, String mode) throws Exception {
        Descriptor descriptor = latestDescriptor(registryUrl, topic, messageName);
        DynamicMessage.Builder builder = DynamicMessage.newBuilder(descriptor);
        JsonFormat.parser().merge(json, builder);
        DynamicMessage message = builder.build();

        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, brokers);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ProtobufKafkaSerializer.class.getName());
        props.put(SerdeConfig.REGISTRY_URL, registryUrl);
        // Serde 3.1.x/3.2.x's pre-send check compares the registered .proto with one rendered from
        // the message's descriptor and reports every map<> field as changed (it renders maps as
        // repeated *Entry messages; Apicurio fixed this in 3.3.1, #8771). Sluice's envelopes have
        // map fields, so the check is off here; it does not touch the bytes written.
        props.put(SerdeConfig.VALIDATION_ENABLED, "false");
        switch (mode) {
            case "engine" -> {
                props.put(SerdeConfig.ARTIFACT_RESOLVER_STRATEGY, SimpleTopicIdStrategy.class.getName());
                props.put(SerdeConfig.FIND_LATEST_ARTIFACT, "true");
            }
            case "auto-register" -> props.put(SerdeConfig.AUTO_REGISTER_ARTIFACT, "true");
            default -> throw new IllegalArgumentException("unknown produce mode " + mode + ": use engine or auto-register");
        }
        try (KafkaProducer<String, Message> producer = new KafkaProducer<>(props)) {
            RecordMetadata metadata = producer.send(new ProducerRecord<>(topic, key, message)).get();
            System.out.println("{\"partition\":" + metadata.partition() + ",\"offset\":" + metadata.offset() + "}");
        }
    }

    /** The message type named {@code messageName} in the latest version of artifact {@code topic}. */
    static Descriptor latestDescriptor(String registryUrl, String topic, String messageName) throws Exception {
        String url = registryUrl.replaceAll("/+$", "") + "/groups/default/artifacts/"
                + URLEncoder.encode(topic, StandardCharsets.UTF_8) + "/versions/branch=latest/content";
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        HttpResponse<byte[]> response = http.send(
                HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).GET().build(),
                HttpResponse.BodyHandlers.ofByteArray());
        if (response.statusCode() != 200) {
            throw new IllegalStateException("GET " + url + " answered " + response.statusCode() + ": "
                    + new String(response.body(), StandardCharsets.UTF_8));
        }
        Descriptor descriptor = new ProtobufSchemaParser<>().parseSchema(response.body(), Map.of())
                .getFileDescriptor().findMessageTypeByName(messageName);
        if (descriptor == null) {
            throw new IllegalStateException("artifact " + topic + " has no top-level message " + messageName);
        }
        return descriptor;
    }

    static String quote(String s) {
        StringBuilder out = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.append('"').toString();
    }
}
