export { AssignmentClient, AssignmentError, backoffDelay, type AssignmentClientOptions, type AssignmentTarget } from './client.js';
export { SavedAssignment } from './saved.js';
