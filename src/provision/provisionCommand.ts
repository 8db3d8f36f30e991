import { elasticsearchClient } from '../clients/elasticsearchClient.ts';
import { kafkaClient } from '../clients/kafkaClient.ts';
import { asInfrastructureError, UserError } from '../errors.ts';
import { generateAvroSchema } from '../generate/generateAvroSchema.ts';
import { generateIndexTemplate } from '../generate/generateIndexTemplate.ts';
import { recordedGraphSchema } from '../index/indexMetadata.ts';
import type { LoadedIndex } from '../index/loadIndex.ts';
import { pipelineTopology } from '../index/pipelineTopology.ts';
import { describeShapeChange } from './provisionedShape.ts';
import { applyProvision, describeAction, planProvision, type ProvisionPlan } from './provisionIndex.ts';

export interface ProvisionOutcome {
  plan: ProvisionPlan;
  applied: boolean;
}

/**
 * Plans and (unless `dryRun`) applies provisioning for a loaded index: template, versioned index
 * behind the alias, Kafka topics, metadata. Reports each step through `report`.
 */
export async function provision(loaded: LoadedIndex, options: { dryRun: boolean; createSourceTopics?: boolean }, report: (line: string) => void): Promise<ProvisionOutcome> {
  const { config } = loaded;
  const template = generateIndexTemplate(loaded, config);
  const avro = generateAvroSchema(loaded.shape, config);
  const elasticsearch = elasticsearchClient(config.elasticsearch);
  const kafkaAdmin = kafkaClient(config.kafka, '-provision').admin();
  try {
    await kafkaAdmin.connect();
    const inputs = {
      config,
      topology: pipelineTopology(loaded),
      template,
      avroSchema: avro.schema,
      graphSchema: recordedGraphSchema(loaded),
      elasticsearch,
      kafkaAdmin,
      createSourceTopics: options.createSourceTopics === true,
    };
    const plan = await planProvision(inputs);
    for (const warning of plan.warnings) report(`! ${warning}`);
    const live = { index: config.index, name: plan.liveIndex, mappingConflicts: plan.needsReindex };
    for (const line of describeShapeChange(plan.shape, live, config.sourceFile)) report(line);
    if (plan.actions.length === 0) {
      report(`${config.index}: no changes (template, index ${plan.liveIndex}, topics and metadata are up to date)`);
    } else if (options.dryRun) {
      report(`${config.index}: would make ${plan.actions.length} change(s) (dry run, nothing changed):`);
      for (const action of plan.actions) report(`  - ${describeAction(action)}`);
    } else {
      await applyProvision(inputs, plan, report);
    }
    if (plan.needsReindex.length > 0 && !options.dryRun) {
      throw new UserError(`${config.index}: the mapping changed incompatibly; the live index was left as it is (see above)`);
    }
    return { plan, applied: !options.dryRun && plan.actions.length > 0 };
  } catch (error) {
    throw asInfrastructureError(error, `provisioning ${config.index}`);
  } finally {
    await kafkaAdmin.disconnect().catch(() => undefined);
    await elasticsearch.close();
  }
}
