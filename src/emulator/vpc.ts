// AddApplicationVpcConfiguration and DeleteApplicationVpcConfiguration, from the API reference and
// botocore's model (both take CurrentApplicationVersionId or ConditionalToken, both return the new
// ApplicationVersionId and an OperationId; errors ResourceNotFound, ResourceInUse, InvalidArgument,
// ConcurrentModification, InvalidApplicationConfiguration):
// https://docs.aws.amazon.com/managed-flink/latest/apiv2/API_AddApplicationVpcConfiguration.html
// https://docs.aws.amazon.com/managed-flink/latest/apiv2/API_DeleteApplicationVpcConfiguration.html
// Like UpdateApplication they make a new application version; a RUNNING application is redeployed
// on it (UPDATING, then RUNNING) exactly as an update is, restoring as its run configuration says.
import type { VpcConfiguration } from "@aws-sdk/client-kinesis-analytics-v2";
import { changeableApplication, changeConfiguration } from "./applications.js";
import { invalidArgument } from "./errors.js";
import { type Handler, shortId } from "./store.js";

const addApplicationVpcConfiguration: Handler = (deps, input) => {
  const { app, from } = changeableApplication(deps, input, "add a VPC configuration to");
  // "VPC configurations are not supported for SQL applications."
  if (from.content.RuntimeEnvironment === "SQL-1_0") {
    throw invalidArgument("VPC configurations are not supported for SQL applications");
  }
  // An assumption, stated: an application has at most one VPC configuration (DescribeApplication
  // lists them, but every AWS example and the console manage exactly one).
  if ((from.content.ApplicationConfigurationDescription.VpcConfigurationDescriptions ?? []).length > 0) {
    throw invalidArgument(`Application ${app.name} already has a VPC configuration`);
  }
  const vpc = input.VpcConfiguration as VpcConfiguration;
  const description = {
    VpcConfigurationId: shortId("vpc"),
    VpcId: "vpc-00000000000000000",
    SubnetIds: [...(vpc.SubnetIds ?? [])],
    SecurityGroupIds: [...(vpc.SecurityGroupIds ?? [])],
  };
  const { next, op } = changeConfiguration(deps, app, "AddApplicationVpcConfiguration", (c) => {
    c.ApplicationConfigurationDescription.VpcConfigurationDescriptions = [description];
  });
  return {
    ApplicationARN: app.arn,
    ApplicationVersionId: next.id,
    VpcConfigurationDescription: description,
    OperationId: op.OperationId,
  };
};

const deleteApplicationVpcConfiguration: Handler = (deps, input) => {
  const { app, from } = changeableApplication(deps, input, "delete a VPC configuration of");
  const id = input.VpcConfigurationId as string;
  const existing = from.content.ApplicationConfigurationDescription.VpcConfigurationDescriptions ?? [];
  if (!existing.some((v) => v.VpcConfigurationId === id)) {
    throw invalidArgument(`VPC configuration ${id} does not exist`);
  }
  const { next, op } = changeConfiguration(deps, app, "DeleteApplicationVpcConfiguration", (c) => {
    const left = existing.filter((v) => v.VpcConfigurationId !== id);
    if (left.length > 0) c.ApplicationConfigurationDescription.VpcConfigurationDescriptions = left;
    else delete c.ApplicationConfigurationDescription.VpcConfigurationDescriptions;
  });
  return { ApplicationARN: app.arn, ApplicationVersionId: next.id, OperationId: op.OperationId };
};

export const vpcOperations: Record<string, Handler> = {
  AddApplicationVpcConfiguration: addApplicationVpcConfiguration,
  DeleteApplicationVpcConfiguration: deleteApplicationVpcConfiguration,
};
