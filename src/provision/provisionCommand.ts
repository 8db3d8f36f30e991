import { elasticsearchClient } from '../clients/elasticsearchClient.ts';
import { kafkaClient } from '../clients/kafkaClient.ts';
import { asInfrastructureError, UserError } from '../errors.ts';
import { generateAvroSchema } from '../generate/generateAvroSchema.ts';
import { generateIndexTemplate } from '../generate/generateIndexTemplate.ts';
import { recordedGraphSchema } from '../index/indexMetadata.ts';
import type { LoadedIndex } from '../index/loadIndex.ts';
import { pipelineTopology } from '../index/pipelineTopology.ts';
import { describeShapeChange } from './provisionedShape.ts';
import { applyProvision, describeAction, planProvision, type ProvisionInputs, type ProvisionPlan } from './provisionIndex.ts';

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
  const elasticsearch = elasticsearchClient(config.elasticsearch);
  const kafkaAdmin = kafkaClient(config.kafka, '-provision').admin();
  try {
    await kafkaAdmin.connect();
    const inputs = provisionInputs(loaded, { elasticsearch, kafkaAdmin }, options.createSourceTopics === true);
    const plan = await planProvision(inputs);
    for (const warning of plan.warnings) report(`! ${warning}`);
    const live = { index: config.index, name: plan.liveIndex, conflicts: plan.needsReindex };
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
      throw new UserError(`${config.index}: the mapping or a setting changed in a way the live index cannot take; it was left as it is (see above)`);
    }
    return { plan, applied: !options.dryRun && plan.actions.length > 0 };
  } catch (error) {
    throw asInfrastructureError(error, `provisioning ${config.index}`);
  } finally {
    await kafkaAdmin.disconnect().catch(() => undefined);
    await elasticsearch.close();
  }
}

/** What provisioning one loaded index needs: what it generates, and the clients to reach the stack with. */
export function provisionInputs(loaded: LoadedIndex, clients: Pick<ProvisionInputs, 'elasticsearch' | 'kafkaAdmin'>, createSourceTopics: boolean): ProvisionInputs {
  const { config } = loaded;
  return {
    config,
    topology: pipelineTopology(loaded),
    template: generateIndexTemplate(loaded, config),
    avroSchema: generateAvroSchema(loaded.shape, config).schema,
    graphSchema: recordedGraphSchema(loaded),
    ...clients,
    createSourceTopics,
  };
}
