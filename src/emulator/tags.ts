import type { Tag } from "@aws-sdk/client-kinesis-analytics-v2";
import { tooManyTags } from "./errors.js";
import { type Handler, MAX_TAGS } from "./store.js";

/** Tags belong to the application, not to a version: tagging leaves ApplicationVersionId alone (docs/emulator.md). */

const tagResource: Handler = ({ store }, input) => {
  const app = store.appByArn(input.ResourceARN);
  const next = new Map(app.tags);
  for (const t of input.Tags as Tag[]) next.set(t.Key!, t.Value ?? "");
  if (next.size > MAX_TAGS) throw tooManyTags(`Number of tags exceeds the limit of ${MAX_TAGS}`);
  app.tags = next;
  return {};
};

const untagResource: Handler = ({ store }, input) => {
  const app = store.appByArn(input.ResourceARN);
  for (const k of input.TagKeys as string[]) app.tags.delete(k);
  return {};
};

const listTagsForResource: Handler = ({ store }, input) => {
  const app = store.appByArn(input.ResourceARN);
  return { Tags: [...app.tags].map(([Key, Value]) => ({ Key, Value })) };
};

export const tagOperations: Record<string, Handler> = {
  TagResource: tagResource,
  UntagResource: untagResource,
  ListTagsForResource: listTagsForResource,
};
