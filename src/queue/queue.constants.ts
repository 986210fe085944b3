/** Every queue the service uses. */
export enum QueueName {
  Uploads = 'uploads',
}

/** Every job name, in one place; handlers are service methods registered by the worker. */
export enum JobName {
  UploadPhoto = 'upload-photo',
}
