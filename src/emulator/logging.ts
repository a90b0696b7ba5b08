// AddApplicationCloudWatchLoggingOption and DeleteApplicationCloudWatchLoggingOption, from the API
// reference and botocore's model: both take CurrentApplicationVersionId or ConditionalToken ("You must
// provide the CurrentApplicationVersionId or the ConditionalToken"), and both answer the ApplicationARN, the
// new ApplicationVersionId ("updates the ApplicationVersionId each time you change the CloudWatch logging
// options"), the CloudWatchLoggingOptionDescriptions left afterwards and an OperationId:
// https://docs.aws.amazon.com/managed-flink/latest/apiv2/API_AddApplicationCloudWatchLoggingOption.html
// https://docs.aws.amazon.com/managed-flink/latest/apiv2/API_DeleteApplicationCloudWatchLoggingOption.html
// Like the VPC calls (vpc.ts) they make a new version; a RUNNING application is redeployed on it.
import type { CloudWatchLoggingOption } from "@aws-sdk/client-kinesis-analytics-v2";
import { changeableApplication, changeConfiguration } from "./applications.js";
import { describeLoggingOptions } from "./configuration.js";
import { invalidArgument } from "./errors.js";
import { type Handler, shortId } from "./store.js";

const addApplicationCloudWatchLoggingOption: Handler = (deps, input) => {
  const { app, from } = changeableApplication(deps, input, "add a CloudWatch logging option to");
  // "Only one ApplicationCloudWatchLoggingOption resource can be attached per application" (CloudFormation,
  // AWS::KinesisAnalyticsV2::ApplicationCloudWatchLoggingOption). *Choice* of error: InvalidArgumentException,
  // as for a second VPC configuration; the API reference does not say which error a second one gets.
  if ((from.content.CloudWatchLoggingOptionDescriptions ?? []).length > 0) {
    throw invalidArgument(`Application ${app.name} already has a CloudWatch logging option`);
  }
  const option = input.CloudWatchLoggingOption as CloudWatchLoggingOption;
  const added = describeLoggingOptions([option], () => shortId("log"))!;
  const { next, op } = changeConfiguration(deps, app, "AddApplicationCloudWatchLoggingOption", (c) => {
    c.CloudWatchLoggingOptionDescriptions = added;
  });
  return {
    ApplicationARN: app.arn,
    ApplicationVersionId: next.id,
    CloudWatchLoggingOptionDescriptions: added,
    OperationId: op.OperationId,
  };
};

const deleteApplicationCloudWatchLoggingOption: Handler = (deps, input) => {
  const { app, from } = changeableApplication(deps, input, "delete a CloudWatch logging option of");
  const id = input.CloudWatchLoggingOptionId as string;
  const existing = from.content.CloudWatchLoggingOptionDescriptions ?? [];
  // As for UpdateApplication's CloudWatchLoggingOptionUpdates (configuration.ts): an unknown id is an
  // invalid argument.
  if (!existing.some((o) => o.CloudWatchLoggingOptionId === id)) {
    throw invalidArgument(`CloudWatch logging option ${id} does not exist`);
  }
  const left = existing.filter((o) => o.CloudWatchLoggingOptionId !== id);
  const { next, op } = changeConfiguration(deps, app, "DeleteApplicationCloudWatchLoggingOption", (c) => {
    if (left.length > 0) c.CloudWatchLoggingOptionDescriptions = left;
    else delete c.CloudWatchLoggingOptionDescriptions;
  });
  return {
    ApplicationARN: app.arn,
    ApplicationVersionId: next.id,
    CloudWatchLoggingOptionDescriptions: left,
    OperationId: op.OperationId,
  };
};

export const loggingOperations: Record<string, Handler> = {
  AddApplicationCloudWatchLoggingOption: addApplicationCloudWatchLoggingOption,
  DeleteApplicationCloudWatchLoggingOption: deleteApplicationCloudWatchLoggingOption,
};
