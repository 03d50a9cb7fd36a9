/** The usage lines of the control plane's client commands, for `verge --help` and each command's own help (kept apart so the help loads none of the commands). */

export const FUNCTIONS_USAGE = `  verge functions create NAME --code PATH [SETTINGS]   create a function ($LATEST) from a file, .zip, .tar.gz or directory
  verge functions update-code NAME --code PATH         replace $LATEST's code
  verge functions update-config NAME [SETTINGS]        change $LATEST's settings
  verge functions publish NAME [--description D]       publish $LATEST as a new numbered version
  verge functions list | get NAME | versions NAME | delete NAME
      SETTINGS: --runtime nodejs-edge|cloudfront-js-2.0 --handler FILE.EXPORT --memory-mb N
                --timeout-ms N --env KEY=VALUE (repeatable) --description TEXT`;

export const ALIAS_USAGE = `  verge alias create FUNCTION ALIAS --version N [--weight V=W] [--description D]
  verge alias update FUNCTION ALIAS [--version N] [--weight V=W | --weight none] [--description D]
                                                    point an alias at a version; --weight 4=0.1 sends 10 %
                                                    of viewers (sticky per viewer) to version 4
  verge alias list FUNCTION | get FUNCTION ALIAS | delete FUNCTION ALIAS`;

export const DISTRIBUTIONS_USAGE = `  verge distributions save [DISTRIBUTION_ID] --file FILE [--comment C]
                                                    save FILE (YAML/JSON: origins, behaviors naming fn:3
                                                    or fn:ALIAS, cache, …) as the distribution's next
                                                    revision; the id defaults to the file's distribution.id
  verge distributions list | revisions DISTRIBUTION_ID`;

export const DEPLOY_USAGE = `  verge deploy DISTRIBUTION_ID --revision N [--location NAME]… [--strategy AllAtOnce] [--comment C]
                                                    deploy a revision to every registered location
                                                    (or the ones named)`;

export const ROLLOUT_USAGE = `  verge rollout start DISTRIBUTION_ID --revision N [--wave LOC,LOC]… | [--wave-percent P]… [--canary-locations N]
                    [--traffic AllAtOnce|Canary10Percent5Minutes|Linear10PercentEvery1Minute|…] [--bake-ms MS] [--comment C]
                                                    a staged rollout: waves of locations (by default one canary,
                                                    then 25 %, then all), health gates, automatic rollback
  verge rollout status|promote|abort DEPLOYMENT_ID  its progress and history; skip the rest of the gates; roll back`;

export const LOCATIONS_USAGE = `  verge locations [NAME]                            edge locations: desired and serving revision, last heartbeat`;
