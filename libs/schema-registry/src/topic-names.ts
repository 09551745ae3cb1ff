/**
 * The names of Sluice's topics, in one place: the three event topics (each with one writer, see
 * DESIGN.md), how a deployment's prefix goes before them, and the dead-letter topic beside each.
 */

/** The event topics, in pipeline order. */
export const EVENT_TOPICS = ['intake.chunks', 'intake.parts', 'intake.uploads'] as const;
export type EventTopic = (typeof EVENT_TOPICS)[number];

/** A dead-letter topic is its source topic's name with this after it. */
export const DEAD_LETTER_SUFFIX = '.dlq';

/**
 * The Kafka topic (and Apicurio artifactId) for `topic` under `prefix`; tests use a unique
 * prefix so they never share topics or artifacts.
 */
export function eventTopicName(topic: EventTopic, prefix = ''): string {
  return `${prefix}${topic}`;
}
