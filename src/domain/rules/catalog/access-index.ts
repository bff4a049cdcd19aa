import type { Rule } from '../types';
import { accessCrossTeamAction } from './access-cross-team-action';
import { accessCrossTeamAttempt } from './access-cross-team-attempt';
import { consoleLoginNotebookOnlyUser } from './console-login-notebook-only-user';
import { studioPresignedUrlOtherUser } from './studio-presigned-url-other-user';
import { studioUserProfileMissingStudioUserId } from './studio-user-profile-missing-studiouserid';
import { taggingMissingTeamTag } from './tagging-missing-team-tag';
import { taggingTeamTagMismatch } from './tagging-team-tag-mismatch';

/** The access, isolation and tagging rules (seeds 04 and 05). */
export const ACCESS_AND_TAGGING_RULES: Rule[] = [
  taggingMissingTeamTag,
  taggingTeamTagMismatch,
  studioUserProfileMissingStudioUserId,
  studioPresignedUrlOtherUser,
  accessCrossTeamAttempt,
  accessCrossTeamAction,
  consoleLoginNotebookOnlyUser,
];
